import { z } from "zod";
import { PersistValidationError, type ValidationIssue } from "./errors.js";
import { walkJson, type IllFormedText } from "./json-walk.js";
import {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  type ListEventsRequest,
  type ListPageRequest,
  type SessionEvent,
  type SessionRecord,
} from "./types.js";
import { isWellFormedText, LONE_SURROGATE_MESSAGE } from "./unicode.js";

// The zod schemas that guard every driver's boundary. Drivers call the `parse*` helpers
// below before touching storage, so bad input is refused with a PersistValidationError
// that names each field, and nothing is written. Every string must be well-formed UTF-16
// (no lone surrogate): PostgreSQL cannot store one and SQLite would alter it, so all drivers
// refuse it alike; the JSON fields (payload, sessionInit, configOptions, modes) are walked
// for the same rule by the parse* helpers.

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A string of well-formed UTF-16. */
const text = z.string().refine(isWellFormedText, LONE_SURROGATE_MESSAGE);
const id = z
  .string()
  .min(1, "must be a non-empty string")
  .max(1024, "must be at most 1024 characters")
  .refine(isWellFormedText, LONE_SURROGATE_MESSAGE);
const epochMs = z.number().finite().nonnegative();

/**
 * Schema of a {@link SessionEvent}. The payload's JSON content (serializable, well-formed
 * strings and keys) is checked by {@link parseSessionEvent} after it.
 */
export const sessionEventSchema = z.object({
  id,
  eventIndex: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sessionId: id,
  createdAt: epochMs,
  connectionId: text,
  sender: z.enum(["client", "agent"]),
  payload: z.custom<SessionEvent["payload"]>(isJsonObject, "must be a JSON-RPC envelope object"),
});

/**
 * Schema of a {@link SessionRecord}. The JSON content of `sessionInit`, `configOptions` and
 * `modes` (serializable, well-formed strings and keys) is checked by {@link parseSessionRecord} after it.
 */
export const sessionRecordSchema = z.object({
  id,
  agent: id,
  agentSessionId: text,
  lastConnectionId: text,
  createdAt: epochMs,
  destroyedAt: epochMs.optional(),
  sandboxId: text.optional(),
  sessionInit: z.custom<NonNullable<SessionRecord["sessionInit"]>>(isJsonObject, "must be an object").optional(),
  configOptions: z.array(z.custom<NonNullable<SessionRecord["configOptions"]>[number]>(isJsonObject, "must be an object")).optional(),
  modes: z.custom<NonNullable<SessionRecord["modes"]>>(isJsonObject, "must be an object or null").nullable().optional(),
});

const limit = z.number().int("must be an integer").positive("must be at least 1").optional();
const cursor = z.string().min(1, "must be a non-empty string").optional();

/** Schema of a {@link ListPageRequest}. */
export const listPageRequestSchema = z.object({ cursor, limit });

/** Schema of a {@link ListEventsRequest}. */
export const listEventsRequestSchema = z.object({ sessionId: id, cursor, limit });

function issuesOf(error: z.ZodError, prefix: string): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join("."),
    message: issue.message,
  }));
}

function fail(what: string, prefix: string, error: z.ZodError): never {
  throw new PersistValidationError(what, issuesOf(error, prefix));
}

/** Throw a validation error naming `path` when `JSON.stringify` cannot serialize `value`. */
function assertJsonSerializable(value: unknown, what: string, path: string): void {
  try {
    JSON.stringify(value);
  } catch (error) {
    throw new PersistValidationError(what, [
      { path, message: `must be JSON-serializable (${(error as Error).message})` },
    ]);
  }
}

/** The issue naming where a lone surrogate is, below the field at `path`. */
function illFormedIssue(path: string, found: IllFormedText): ValidationIssue {
  const at = [path, ...found.path].join(".");
  if (found.key === undefined) return { path: at, message: LONE_SURROGATE_MESSAGE };
  // JSON.stringify escapes the lone surrogate, so the message itself stays well-formed.
  return { path: at, message: `must not have a key holding a lone UTF-16 surrogate (${JSON.stringify(found.key)})` };
}

/**
 * Refuse an event payload JSON cannot hold, or holding a lone surrogate in a string or key.
 * A walk rather than `JSON.stringify`: this runs on every insert, and the walk costs a few
 * percent of a serialization.
 */
function assertJsonPayload(payload: unknown): void {
  let found: IllFormedText | undefined;
  try {
    found = walkJson(payload);
  } catch (error) {
    const reason = error instanceof RangeError ? "cyclic or nested too deeply" : (error as Error).message;
    throw new PersistValidationError("session event", [{ path: "event.payload", message: `must be JSON-serializable (${reason})` }]);
  }
  if (found !== undefined) throw new PersistValidationError("session event", [illFormedIssue("event.payload", found)]);
}

/** Refuse a record whose JSON fields hold a lone surrogate in a string or key (they are known to serialize). */
function assertWellFormedRecord(record: SessionRecord): void {
  const issues: ValidationIssue[] = [];
  for (const field of ["sessionInit", "configOptions", "modes"] as const) {
    const found = walkJson(record[field]);
    if (found !== undefined) issues.push(illFormedIssue(`session.${field}`, found));
  }
  if (issues.length > 0) throw new PersistValidationError("session record", issues);
}

const isText = (value: unknown): value is string => typeof value === "string" && isWellFormedText(value);

const isId = (value: unknown): value is string =>
  typeof value === "string" && value.length >= 1 && value.length <= 1024 && isWellFormedText(value);

/**
 * Whether `event` is a well-formed {@link SessionEvent}: exactly the rules of
 * {@link sessionEventSchema}, checked by hand. Inserts are the hot path and this costs a
 * fraction of a zod parse; `parseSessionEvent` runs zod only when this says no, to name every
 * problem. A test holds the two to the same verdict on generated input.
 */
export function isWellFormedEvent(event: unknown): event is SessionEvent {
  if (typeof event !== "object" || event === null) return false;
  const e = event as Record<string, unknown>;
  return (
    isId(e.id) &&
    isId(e.sessionId) &&
    typeof e.eventIndex === "number" &&
    Number.isSafeInteger(e.eventIndex) &&
    e.eventIndex >= 0 &&
    typeof e.createdAt === "number" &&
    Number.isFinite(e.createdAt) &&
    e.createdAt >= 0 &&
    isText(e.connectionId) &&
    (e.sender === "client" || e.sender === "agent") &&
    isJsonObject(e.payload)
  );
}

/**
 * Validate an event about to be stored under `sessionId`. Returns the event as given (no
 * copy); throws {@link PersistValidationError} naming every bad field, including a
 * `sessionId` that disagrees with the one the event is stored under.
 */
export function parseSessionEvent(sessionId: string, event: unknown): SessionEvent {
  let valid: SessionEvent;
  if (isWellFormedEvent(event)) {
    valid = event;
  } else {
    const result = sessionEventSchema.safeParse(event);
    if (!result.success) fail("session event", "event", result.error);
    valid = result.data;
  }
  // Every backend stores the payload as JSON: refuse cycles, bigints and lone surrogates here,
  // typed, rather than as a TypeError from the driver's JSON.stringify or a database error.
  assertJsonPayload(valid.payload);
  if (valid.sessionId !== sessionId) {
    throw new PersistValidationError("session event", [
      {
        path: "event.sessionId",
        message: `must equal the session it is inserted into ("${sessionId}"), got "${valid.sessionId}"`,
      },
    ]);
  }
  return event as SessionEvent;
}

/** Validate a batch of events for one session; issue paths name the offending position, e.g. `events[3].eventIndex`. */
export function parseSessionEvents(sessionId: string, events: unknown): readonly SessionEvent[] {
  if (!Array.isArray(events)) {
    throw new PersistValidationError("session events", [{ path: "events", message: "must be an array" }]);
  }
  return events.map((event, i) => {
    try {
      return parseSessionEvent(sessionId, event);
    } catch (error) {
      if (error instanceof PersistValidationError) {
        throw new PersistValidationError(
          "session events",
          error.issues.map((issue) => ({ ...issue, path: issue.path.replace(/^event/, `events[${i}]`) })),
        );
      }
      throw error;
    }
  });
}

/** Validate a session record. Returns it as given (no copy). */
export function parseSessionRecord(record: unknown): SessionRecord {
  const result = sessionRecordSchema.safeParse(record);
  if (!result.success) fail("session record", "session", result.error);
  assertJsonSerializable(record, "session record", "session");
  assertWellFormedRecord(record as SessionRecord);
  return record as SessionRecord;
}

/** Validate a session id argument. */
export function parseSessionId(value: unknown, path = "id"): string {
  if (isId(value)) return value;
  const result = id.safeParse(value);
  if (!result.success) fail("session id", path, result.error);
  return result.data;
}

/** A validated page request: `limit` defaulted and clamped, `cursor` possibly absent. */
export interface NormalizedPageRequest {
  /** The cursor, when one was given. */
  cursor: string | undefined;
  /** Items per page, between 1 and {@link MAX_PAGE_LIMIT}. */
  limit: number;
}

/** Validate `listSessions` arguments; defaults `limit` to 100 and clamps it to 1000. */
export function parseListPageRequest(request: ListPageRequest | undefined): NormalizedPageRequest {
  const result = listPageRequestSchema.safeParse(request ?? {});
  if (!result.success) fail("list request", "request", result.error);
  return { cursor: result.data.cursor, limit: clampLimit(result.data.limit) };
}

/** Validate `listEvents` arguments; defaults `limit` to 100 and clamps it to 1000. */
export function parseListEventsRequest(request: ListEventsRequest): NormalizedPageRequest & { sessionId: string } {
  const result = listEventsRequestSchema.safeParse(request);
  if (!result.success) fail("list events request", "request", result.error);
  return { sessionId: result.data.sessionId, cursor: result.data.cursor, limit: clampLimit(result.data.limit) };
}

/** The most events one tail read returns. */
export const MAX_TAIL_LIMIT = 10_000;

/** Validate the `limit` of a tail read: a positive integer, clamped to {@link MAX_TAIL_LIMIT}. */
export function parseTailLimit(value: unknown): number {
  const result = z.number().int("must be an integer").positive("must be at least 1").safeParse(value);
  if (!result.success) fail("tail limit", "limit", result.error);
  return Math.min(result.data, MAX_TAIL_LIMIT);
}

function clampLimit(value: number | undefined): number {
  return Math.min(value ?? DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
}
