import type { DurableAgentErrorCode } from "../error-codes.js";
import { DurableAgentError } from "../errors.js";

/** Base class of every error a persistence driver throws on purpose. */
export class PersistError extends DurableAgentError {}

/** One problem found while validating input at the driver boundary. */
export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `"event.eventIndex"`. */
  path: string;
  /** What is wrong with it. */
  message: string;
}

/**
 * Input handed to a driver was malformed. Nothing was written. The message names every
 * offending field; {@link PersistValidationError.issues} lists them for programs.
 */
export class PersistValidationError extends PersistError {
  /** Every problem found, field by field. */
  readonly issues: readonly ValidationIssue[];

  constructor(what: string, issues: readonly ValidationIssue[]) {
    const detail = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    super("persist.invalid_input", `Invalid ${what}: ${detail}`);
    this.issues = issues;
  }
}

/** Why an event could not be stored next to what is already there. */
export type EventConflictReason =
  /** Another event with different content is already stored under this event id. */
  | "id"
  /** Another event already holds this `eventIndex` in the session. */
  | "eventIndex";

/**
 * An event collides with a stored one: a different event under a known id, or a taken
 * `eventIndex`. The stored event is left untouched. Re-inserting an identical event is
 * not a conflict: it is a no-op.
 */
export class EventConflictError extends PersistError {
  /** Which key collided. */
  readonly reason: EventConflictReason;
  /** Session the event belongs to. */
  readonly sessionId: string;
  /** Id of the event that was refused. */
  readonly eventId: string;
  /** `eventIndex` of the event that was refused. */
  readonly eventIndex: number;

  constructor(reason: EventConflictReason, sessionId: string, eventId: string, eventIndex: number) {
    const what =
      reason === "id"
        ? `a different event is already stored under id "${eventId}"`
        : `eventIndex ${eventIndex} is already taken by another event`;
    super("persist.conflict", `Event conflict in session "${sessionId}": ${what}; nothing was written`);
    this.reason = reason;
    this.sessionId = sessionId;
    this.eventId = eventId;
    this.eventIndex = eventIndex;
  }
}

/** A cursor was malformed, came from another listing, or from another session. */
export class InvalidCursorError extends PersistError {
  /** The cursor as received. */
  readonly cursor: string;

  constructor(cursor: string, reason: string) {
    super("persist.invalid_cursor", `Invalid cursor: ${reason}`);
    this.cursor = cursor;
  }
}

/** The driver was closed with `close()` and can no longer be used. */
export class DriverClosedError extends PersistError {
  /**
   * @param driver the driver's name, e.g. `"SQLiteSessionPersistDriver"`.
   * @param options `cause`: what the backend reported, for a call that was running when the driver closed.
   */
  constructor(driver: string, options?: { cause?: unknown }) {
    super("persist.closed", `${driver} is closed`, options);
  }
}

/**
 * The store was migrated by a newer release of this package: its schema version is above
 * the newest one this release knows. Nothing was changed; upgrade the package (or point the
 * driver at another database, schema or prefix). Each backend throws its own subclass
 * (`SQLiteSchemaVersionError`, `PostgresSchemaVersionError`, `IndexedDbSchemaVersionError`).
 */
export class SchemaVersionError extends PersistError {
  /** The version recorded in the store, when the store says (IndexedDB does not). */
  readonly foundVersion: number | undefined;
  /** The newest version this release can use. */
  readonly supportedVersion: number;

  /**
   * @param code `"persist.schema_too_new"`, or a backend's own code kept for compatibility.
   * @param message what was found where, and what to do.
   */
  constructor(
    code: DurableAgentErrorCode,
    message: string,
    foundVersion: number | undefined,
    supportedVersion: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.foundVersion = foundVersion;
    this.supportedVersion = supportedVersion;
  }
}

/** A call needed an optional driver capability that this driver does not have. */
export class UnsupportedCapabilityError extends PersistError {
  /** Name of the missing capability, e.g. `"deleteSession"`. */
  readonly capability: string;

  constructor(capability: string) {
    super("persist.unsupported", `This persistence driver does not support ${capability}()`);
    this.capability = capability;
  }
}
