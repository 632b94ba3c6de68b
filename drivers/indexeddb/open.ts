import {
  IndexedDbBlockedError,
  IndexedDbOperationError,
  IndexedDbSchemaError,
  IndexedDbVersionError,
} from "./errors.js";

// Opening a connection, with the two situations a browser adds on top of a plain open:
// another tab blocking our upgrade, and the connection going away under us (another tab
// upgrading or deleting the database, or the browser closing it: storage cleared in
// DevTools, disk failure, eviction).

/** How to open the database. */
export interface OpenDatabaseOptions {
  /** The IndexedDB implementation (`globalThis.indexedDB` in a browser). */
  factory: IDBFactory;
  /** Database name. */
  name: string;
  /** Schema version to open at. */
  version: number;
  /** Runs inside the versionchange transaction when the database is older than `version`. */
  upgrade: (db: IDBDatabase, tx: IDBTransaction, oldVersion: number, newVersion: number) => void;
  /** Object stores the database must have once open; a database without them belongs to someone else. */
  requiredStores: readonly string[];
  /**
   * How long to wait, once the upgrade is reported blocked by another open connection,
   * before giving up with {@link IndexedDbBlockedError}. `Infinity` waits for ever.
   */
  blockedTimeoutMs: number;
  /**
   * Called once when the connection stops being usable: another connection asked for a
   * version change (we close ours so that it is not blocked), or the browser closed it.
   */
  onLost: (db: IDBDatabase, reason: "versionchange" | "close") => void;
}

/**
 * Open the database at `version`, running the upgrade when needed.
 * @throws IndexedDbBlockedError when other connections keep the upgrade blocked too long.
 * @throws IndexedDbVersionError when the database is newer than `version`.
 * @throws IndexedDbSchemaError when the database lacks `requiredStores`.
 * @throws IndexedDbOperationError for any other failure (the upgrade is rolled back).
 */
export function openDatabase(options: OpenDatabaseOptions): Promise<IDBDatabase> {
  const { factory, name, version, blockedTimeoutMs } = options;
  return new Promise<IDBDatabase>((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, version);
    } catch (error) {
      reject(new IndexedDbOperationError(`open of "${name}"`, error));
      return;
    }
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let upgradeError: unknown;
    const settle = (fn: () => void) => {
      if (timer !== undefined) clearTimeout(timer);
      if (settled) return;
      settled = true;
      fn();
    };

    request.onupgradeneeded = (event) => {
      const tx = request.transaction;
      if (!tx) return;
      try {
        options.upgrade(request.result, tx, event.oldVersion, event.newVersion ?? version);
      } catch (error) {
        upgradeError = error;
        tx.abort();
      }
    };

    request.onblocked = (event) => {
      // Beyond setTimeout's 32-bit range a delay would fire at once: treat it as "for ever".
      if (settled || timer !== undefined || blockedTimeoutMs > 2 ** 31 - 1) return;
      timer = setTimeout(() => {
        settle(() => reject(new IndexedDbBlockedError(name, event.oldVersion, version, blockedTimeoutMs)));
      }, blockedTimeoutMs);
    };

    request.onsuccess = () => {
      const db = request.result;
      // We gave up waiting on a blocked upgrade, then it went through after all: nobody
      // holds this connection, so close it; the next call opens a fresh one.
      if (settled) {
        db.close();
        return;
      }
      const missing = options.requiredStores.filter((store) => !db.objectStoreNames.contains(store));
      if (missing.length > 0) {
        db.close();
        settle(() => reject(new IndexedDbSchemaError(name, missing)));
        return;
      }
      db.addEventListener("versionchange", () => {
        db.close();
        options.onLost(db, "versionchange");
      });
      db.addEventListener("close", () => options.onLost(db, "close"));
      settle(() => resolve(db));
    };

    request.onerror = (event) => {
      // Handled here: keep the error from bubbling to a global handler.
      event.preventDefault();
      const error = request.error;
      settle(() => {
        if (error?.name === "VersionError") reject(new IndexedDbVersionError(name, version, { cause: error }));
        else reject(new IndexedDbOperationError(`open of "${name}"`, upgradeError ?? error));
      });
    };
  });
}
