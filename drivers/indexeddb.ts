/**
 * IndexedDB persistence driver (`durable-agent/indexeddb`): durable session history for
 * browser apps, surviving page reloads and browser restarts. Needs the optional peer
 * dependency `idb`. See docs/drivers/indexeddb.md.
 * @packageDocumentation
 */
import { LeasingPersistDriver } from "../src/persist/leasing-persist-driver.js";
import { IndexedDbBackend } from "./indexeddb/backend.js";
import { resolveOptions, type IndexedDbSessionPersistDriverOptions } from "./indexeddb/options.js";

export {
  IndexedDbBlockedError,
  IndexedDbError,
  IndexedDbOperationError,
  IndexedDbSchemaError,
  IndexedDbSchemaVersionError,
  IndexedDbUnavailableError,
} from "./indexeddb/errors.js";
export { DEFAULT_DATABASE_NAME } from "./indexeddb/names.js";
export type { IndexedDbSessionPersistDriverOptions } from "./indexeddb/options.js";
export { INDEXEDDB_SCHEMA_VERSION } from "./indexeddb/schema.js";

const DRIVER_NAME = "IndexedDbSessionPersistDriver";

/**
 * Session history in the browser's IndexedDB. Every read is a key-range query, so a page
 * of events, the tail of a session and a page of sessions cost the same whatever the size
 * of the store. Writes are transactional: a batch is stored whole or not at all, event ids
 * are unique across sessions and `eventIndex` is unique per session, also with several tabs
 * writing at once.
 *
 * The database opens lazily on the first call. When another tab upgrades or deletes the
 * database, or the browser closes it, the driver lets go of its connection and reopens on
 * the next call.
 *
 * ```ts
 * const persist = new IndexedDbSessionPersistDriver({ databaseName: "my-app" });
 * ```
 */
export class IndexedDbSessionPersistDriver extends LeasingPersistDriver {
  /** Name of the database this driver uses. */
  readonly databaseName: string;

  /** @throws PersistValidationError on bad options (nothing is opened). */
  constructor(options: IndexedDbSessionPersistDriverOptions = {}) {
    const resolved = resolveOptions(options);
    super(DRIVER_NAME, new IndexedDbBackend(resolved));
    this.databaseName = resolved.databaseName;
  }
}
