import { PersistValidationError, type ValidationIssue } from "../../src/persist/errors.js";
import { DEFAULT_DATABASE_NAME } from "./names.js";

/** Options of `IndexedDbSessionPersistDriver`. */
export interface IndexedDbSessionPersistDriverOptions {
  /** Name of the IndexedDB database; one per app (or per user, if several share an origin). Default `"durable-agent"`. */
  databaseName?: string;
  /**
   * The IndexedDB implementation; defaults to `globalThis.indexedDB`. In Node, pass a
   * fake-indexeddb `IDBFactory` (and import `"fake-indexeddb/auto"`, which the key ranges need).
   */
  indexedDB?: IDBFactory;
  /**
   * How long to wait for other connections (older tabs of the app) that block a schema
   * upgrade before rejecting with `IndexedDbBlockedError`, in ms. Default 10 000; `Infinity`
   * waits for ever.
   */
  blockedTimeoutMs?: number;
  /**
   * Durability hint of write transactions. `"strict"` asks the browser to flush to disk before
   * a write resolves (survives an OS crash or power loss, slower); `"relaxed"` and
   * `"default"` survive reloads and tab or browser crashes. Default `"default"`.
   */
  durability?: IDBTransactionDurability;
}

/** The options, checked, with their defaults applied. */
export interface ResolvedOptions {
  /** The database name. */
  databaseName: string;
  /** The factory given, or `undefined` for `globalThis.indexedDB` (looked up when opening). */
  factory: IDBFactory | undefined;
  /** How long a blocked upgrade waits, in ms. */
  blockedTimeoutMs: number;
  /** Durability hint of transactions. */
  durability: IDBTransactionDurability;
}

/**
 * Check the options and apply the defaults; nothing is opened.
 * @throws PersistValidationError naming every bad option.
 */
export function resolveOptions(options: IndexedDbSessionPersistDriverOptions = {}): ResolvedOptions {
  const {
    databaseName = DEFAULT_DATABASE_NAME,
    indexedDB,
    blockedTimeoutMs = 10_000,
    durability = "default",
  } = options ?? {};
  const issues: ValidationIssue[] = [];
  if (typeof databaseName !== "string" || databaseName.length === 0) {
    issues.push({ path: "options.databaseName", message: "must be a non-empty string" });
  }
  if (typeof blockedTimeoutMs !== "number" || Number.isNaN(blockedTimeoutMs) || blockedTimeoutMs < 0) {
    issues.push({ path: "options.blockedTimeoutMs", message: "must be a number of milliseconds, 0 or more" });
  }
  if (durability !== "default" && durability !== "strict" && durability !== "relaxed") {
    issues.push({ path: "options.durability", message: 'must be "default", "strict" or "relaxed"' });
  }
  if (indexedDB !== undefined && (typeof indexedDB !== "object" || typeof indexedDB.open !== "function")) {
    issues.push({ path: "options.indexedDB", message: "must be an IDBFactory" });
  }
  if (issues.length > 0) throw new PersistValidationError("IndexedDB driver options", issues);
  return { databaseName, factory: indexedDB, blockedTimeoutMs, durability };
}
