/**
 * `durable-agent/sqlite`: a session persistence driver on SQLite, through better-sqlite3
 * (an optional peer dependency that only this entry point imports), and the Claude Agent
 * SDK's `SessionStore` on the same machinery (`SQLiteSessionStore`).
 * @packageDocumentation
 */
import { LeasingPersistDriver } from "../src/persist/leasing-persist-driver.js";
import { SQLiteBackend } from "./sqlite/backend.js";
import { resolveOptions, type SQLiteSessionPersistDriverOptions } from "./sqlite/options.js";

export type { SQLiteCommonOptions, SQLiteSessionPersistDriverOptions } from "./sqlite/options.js";
export { SQLiteSchemaVersionError } from "./sqlite/errors.js";
export { DEFAULT_TABLE_PREFIX } from "./sqlite/names.js";
export { SQLITE_SCHEMA_VERSION } from "./sqlite/schema.js";
export { SQLiteSessionStore } from "./sqlite/session-store/store.js";
export type { SQLiteSessionStoreOptions } from "./sqlite/session-store/options.js";
export { SQLITE_SESSION_STORE_SCHEMA_VERSION } from "./sqlite/session-store/schema.js";
export type { PruneSessionsOptions } from "../src/session-store/store.js";
export type { FoldSessionSummary } from "../src/session-store/types.js";

const DRIVER_NAME = "SQLiteSessionPersistDriver";

/**
 * Session persistence on SQLite. Events are stored once per id (an identical re-insert is
 * a no-op, a different event under a known id or a taken `eventIndex` is an
 * `EventConflictError`), listings use keyset cursors whose cost does not grow with their
 * position, and a process crash never loses an acknowledged write. Several processes can
 * share one file. See docs/drivers/sqlite.md for the schema and every guarantee.
 *
 * ```ts
 * const persist = new SQLiteSessionPersistDriver({ filename: "./sessions.db" });
 * ```
 */
export class SQLiteSessionPersistDriver extends LeasingPersistDriver {
  /**
   * Open the database, create or migrate its tables, and prepare every statement.
   * @throws PersistValidationError on bad options (nothing is opened).
   * @throws SQLiteSchemaVersionError when the tables were created by a newer release.
   */
  constructor(options: SQLiteSessionPersistDriverOptions) {
    super(DRIVER_NAME, new SQLiteBackend(resolveOptions(options)));
  }
}
