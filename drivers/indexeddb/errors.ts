import { PersistError, SchemaVersionError } from "../../src/persist/errors.js";

/** Base class of the errors specific to the IndexedDB driver (opening, upgrading, browser failures). */
export class IndexedDbError extends PersistError {}

/**
 * The database upgrade could not start because another connection to the same database
 * (usually another tab running an older version of the app) did not close within
 * `blockedTimeoutMs`. Nothing was changed; the next call tries to open the database again.
 */
export class IndexedDbBlockedError extends IndexedDbError {
  /** Name of the database. */
  readonly databaseName: string;
  /** Version on disk, held open by the other connection. */
  readonly currentVersion: number;
  /** Version this driver needs. */
  readonly requestedVersion: number;

  constructor(databaseName: string, currentVersion: number, requestedVersion: number, waitedMs: number) {
    super(
      "persist.indexeddb.blocked",
      `IndexedDB database "${databaseName}" cannot be upgraded from version ${currentVersion} to ${requestedVersion}: ` +
        `another connection (an older tab of this app?) kept it open for ${waitedMs} ms; close that tab or reload it`,
    );
    this.databaseName = databaseName;
    this.currentVersion = currentVersion;
    this.requestedVersion = requestedVersion;
  }
}

/**
 * The database on disk has a newer schema version than this driver knows (a newer release
 * of the app upgraded it). The driver never downgrades; update the app. (IndexedDB does not
 * say which version it found, so `foundVersion` is `undefined`.)
 */
export class IndexedDbSchemaVersionError extends SchemaVersionError {
  /** Name of the database. */
  readonly databaseName: string;

  /**
   * @param databaseName the database that refused to open at `supportedVersion`.
   * @param supportedVersion the newest schema version this driver knows.
   */
  constructor(databaseName: string, supportedVersion: number, options?: { cause?: unknown }) {
    super(
      "persist.indexeddb.version",
      `IndexedDB database "${databaseName}" was upgraded by a newer version of durable-agent ` +
        `(this one supports schema version ${supportedVersion}); nothing was changed`,
      undefined,
      supportedVersion,
      options,
    );
    this.databaseName = databaseName;
  }
}

/** A database with the driver's name exists but lacks the driver's object stores: it belongs to someone else. */
export class IndexedDbSchemaError extends IndexedDbError {
  constructor(databaseName: string, missing: readonly string[]) {
    super(
      "persist.indexeddb.schema",
      `IndexedDB database "${databaseName}" was not created by durable-agent (missing object stores: ${missing.join(", ")}); ` +
        `pick another databaseName`,
    );
  }
}

/** No IndexedDB implementation was found (no global `indexedDB` and none passed in the options). */
export class IndexedDbUnavailableError extends IndexedDbError {
  constructor(what: string) {
    super(
      "persist.indexeddb.unavailable",
      `IndexedDB is not available here (${what} is missing); in Node, import "fake-indexeddb/auto" first`,
    );
  }
}

/**
 * An IndexedDB request failed for a reason outside the driver's control (quota exceeded,
 * the browser closed the database mid-transaction, an I/O error). The transaction was rolled
 * back, so nothing of the failed call was written. `domName` is the DOMException name,
 * e.g. `"QuotaExceededError"` or `"AbortError"`; `cause` holds the original error.
 */
export class IndexedDbOperationError extends IndexedDbError {
  /** Name of the underlying DOMException, when there was one. */
  readonly domName: string | undefined;

  constructor(operation: string, cause: unknown) {
    const named = isNamed(cause) ? cause : undefined;
    const detail = named ? `${named.name}: ${named.message ?? ""}` : String(cause);
    super("persist.indexeddb.failed", `IndexedDB ${operation} failed and was rolled back (${detail})`, { cause });
    this.domName = named?.name;
  }
}

function isNamed(value: unknown): value is { name: string; message?: string } {
  return typeof value === "object" && value !== null && typeof (value as { name?: unknown }).name === "string";
}
