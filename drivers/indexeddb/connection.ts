import { wrap } from "idb";
import {
  IndexedDbBlockedError,
  IndexedDbOperationError,
  IndexedDbSchemaError,
  IndexedDbSchemaVersionError,
  IndexedDbUnavailableError,
} from "./errors.js";
import { REQUIRED_STORES } from "./names.js";
import type { ResolvedOptions } from "./options.js";
import { INDEXEDDB_SCHEMA_VERSION, migrate, type DurableAgentDb, type Transaction } from "./schema.js";

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
 * @throws IndexedDbSchemaVersionError when the database is newer than `version`.
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
        if (error?.name === "VersionError") reject(new IndexedDbSchemaVersionError(name, version, { cause: error }));
        else reject(new IndexedDbOperationError(`open of "${name}"`, upgradeError ?? error));
      });
    };
  });
}

/**
 * The driver's connection: opened lazily on first use, dropped when the browser or another
 * tab takes it away (the next use opens a new one), closed by {@link Connection.close}.
 */
export class Connection {
  readonly #options: ResolvedOptions;
  #connecting: Promise<IDBDatabase> | undefined;
  #connected: IDBDatabase | undefined;
  #closed = false;

  /** Nothing is opened yet. */
  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  /** Durability hint for the transactions on this connection. */
  get durability(): IDBTransactionDurability {
    return this.#options.durability;
  }

  /** The open database, when one is open: lets a caller skip a wait. */
  get current(): IDBDatabase | undefined {
    return this.#connected;
  }

  /**
   * The open database, opening it when needed. A failed open is not kept: the next call tries
   * again. After {@link Connection.close}, rejects with a plain `Error` (the kit reports it as
   * `DriverClosedError`).
   */
  open(): Promise<IDBDatabase> {
    if (this.#closed) return Promise.reject(new Error("the IndexedDB connection is closed"));
    if (!this.#connecting) {
      const attempt = this.#open();
      this.#connecting = attempt;
      attempt.catch(() => {
        if (this.#connecting === attempt) this.#connecting = undefined;
      });
    }
    return this.#connecting;
  }

  /** Drop a connection that is closed or closing, so the next call opens a new one. */
  forget(db: IDBDatabase | undefined): void {
    if (db === undefined || db !== this.#connected) return;
    this.#connected = undefined;
    this.#connecting = undefined;
  }

  /** Close the connection, also one still opening (once it opens). */
  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#connecting;
    this.#connecting = undefined;
    this.#connected = undefined;
    if (!pending) return;
    try {
      (await pending).close();
    } catch {
      // The open failed: there is no connection to close.
    }
  }

  async #open(): Promise<IDBDatabase> {
    const factory = this.#options.factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) throw new IndexedDbUnavailableError("indexedDB");
    const db = await openDatabase({
      factory,
      name: this.#options.databaseName,
      version: INDEXEDDB_SCHEMA_VERSION,
      requiredStores: REQUIRED_STORES,
      blockedTimeoutMs: this.#options.blockedTimeoutMs,
      upgrade: (raw, tx, oldVersion, newVersion) =>
        migrate(wrap(raw) as unknown as DurableAgentDb, wrap(tx) as unknown as Transaction<"versionchange">, oldVersion, newVersion),
      onLost: (lost) => this.forget(lost),
    });
    if (!this.#closed) this.#connected = db;
    return db;
  }
}
