/**
 * IndexedDB persistence driver (`durable-agent/indexeddb`): durable session history for
 * browser apps, surviving page reloads and browser restarts. Needs the optional peer
 * dependency `idb`. See docs/drivers/indexeddb.md.
 * @packageDocumentation
 */
import { unwrap, wrap, type IDBPTransaction, type StoreNames } from "idb";
import { decodeEventCursor, decodeSessionCursor, encodeEventCursor, encodeSessionCursor } from "../src/persist/cursor.js";
import { sameEvent } from "../src/persist/equality.js";
import { DriverClosedError, EventConflictError, PersistError, PersistValidationError } from "../src/persist/errors.js";
import {
  parseListEventsRequest,
  parseListPageRequest,
  parseSessionEvent,
  parseSessionEvents,
  parseSessionId,
  parseSessionRecord,
  parseTailLimit,
} from "../src/persist/schemas.js";
import type {
  ListEventsRequest,
  ListPage,
  ListPageRequest,
  SessionEvent,
  SessionPersistCapabilities,
  SessionPersistDriver,
  SessionRecord,
} from "../src/persist/types.js";
import { addUnlessPresent } from "./indexeddb/add.js";
import { IndexedDbOperationError, IndexedDbUnavailableError } from "./indexeddb/errors.js";
import { allEventsOf, eventsBetween, eventsFrom, sessionsAfter } from "./indexeddb/keys.js";
import { openDatabase } from "./indexeddb/open.js";
import { toStoredEvent, toStoredSession } from "./indexeddb/records.js";
import { dedupeBatch } from "../src/persist/batch.js";
import {
  EVENTS,
  EVENTS_BY_ID,
  REQUIRED_STORES,
  SCHEMA_VERSION,
  SESSIONS,
  SESSIONS_BY_ORDER,
  upgradeSchema,
  type DurableAgentDb,
  type DurableAgentDbSchema,
} from "./indexeddb/schema.js";

export {
  IndexedDbBlockedError,
  IndexedDbError,
  IndexedDbOperationError,
  IndexedDbSchemaError,
  IndexedDbUnavailableError,
  IndexedDbVersionError,
} from "./indexeddb/errors.js";
export { SCHEMA_VERSION as INDEXEDDB_SCHEMA_VERSION } from "./indexeddb/schema.js";

const DRIVER = "IndexedDbSessionPersistDriver";

/** Options of {@link IndexedDbSessionPersistDriver}. */
export interface IndexedDbSessionPersistDriverOptions {
  /** Name of the IndexedDB database; one per app (or per user, if several share an origin). Default `"durable-agent"`. */
  databaseName?: string;
  /**
   * The IndexedDB implementation; defaults to `globalThis.indexedDB`. In Node, pass a
   * fake-indexeddb `IDBFactory` (and import `"fake-indexeddb/auto"`, which idb needs).
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

type Tx<Mode extends IDBTransactionMode> = IDBPTransaction<
  DurableAgentDbSchema,
  StoreNames<DurableAgentDbSchema>[],
  Mode
>;

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
export class IndexedDbSessionPersistDriver implements SessionPersistDriver, SessionPersistCapabilities {
  /** Name of the database this driver uses. */
  readonly databaseName: string;
  private readonly factory: IDBFactory | undefined;
  private readonly blockedTimeoutMs: number;
  private readonly durability: IDBTransactionDurability;
  private connecting: Promise<DurableAgentDb> | undefined;
  private connected: IDBDatabase | undefined;
  private closed = false;

  constructor(options: IndexedDbSessionPersistDriverOptions = {}) {
    const { databaseName = "durable-agent", indexedDB, blockedTimeoutMs = 10_000, durability = "default" } = options ?? {};
    const issues = [];
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
    this.databaseName = databaseName;
    this.factory = indexedDB;
    this.blockedTimeoutMs = blockedTimeoutMs;
    this.durability = durability;
  }

  /** The record with this id, or `undefined`. */
  async getSession(id: string): Promise<SessionRecord | undefined> {
    this.assertOpen();
    const sessionId = parseSessionId(id);
    return this.run("getSession", [SESSIONS], "readonly", async (tx) => {
      const stored = await tx.objectStore(SESSIONS).get(sessionId);
      return stored?.record;
    });
  }

  /** One page of records by ascending `(createdAt, id)`, ids in code-point order. */
  async listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>> {
    this.assertOpen();
    const { cursor, limit } = parseListPageRequest(request);
    const after = cursor === undefined ? undefined : decodeSessionCursor(cursor);
    const range = after ? sessionsAfter(after.afterCreatedAt, after.afterId) : undefined;
    const rows = await this.run("listSessions", [SESSIONS], "readonly", (tx) =>
      tx.objectStore(SESSIONS).index(SESSIONS_BY_ORDER).getAll(range, limit + 1),
    );
    const items = rows.slice(0, limit).map((row) => row.record);
    const last = items[items.length - 1];
    if (rows.length <= limit || !last) return { items };
    return { items, nextCursor: encodeSessionCursor({ afterCreatedAt: last.createdAt, afterId: last.id }) };
  }

  /** Insert or replace the record with `session.id`. */
  async updateSession(session: SessionRecord): Promise<void> {
    this.assertOpen();
    const stored = toStoredSession(parseSessionRecord(session));
    await this.run("updateSession", [SESSIONS], "readwrite", async (tx) => {
      await tx.objectStore(SESSIONS).put(stored);
    });
  }

  /**
   * Store the record unless one with its id exists: `true` when stored, `false` (nothing
   * changed) when taken. An `add` in one readwrite transaction, so of several tabs racing on
   * one id exactly one stores its record.
   */
  async insertSession(session: SessionRecord): Promise<boolean> {
    this.assertOpen();
    const stored = toStoredSession(parseSessionRecord(session));
    return this.run("insertSession", [SESSIONS], "readwrite", (tx) => addUnlessPresent(unwrap(tx.objectStore(SESSIONS)), stored));
  }

  /** One page of a session's events by ascending `eventIndex`. */
  async listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    this.assertOpen();
    const { sessionId, cursor, limit } = parseListEventsRequest(request);
    const afterIndex = cursor === undefined ? -1 : decodeEventCursor(cursor, sessionId).afterIndex;
    const rows = await this.run("listEvents", [EVENTS], "readonly", (tx) =>
      tx.objectStore(EVENTS).getAll(eventsFrom(sessionId, afterIndex + 1), limit + 1),
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    if (rows.length <= limit || !last) return { items };
    return { items, nextCursor: encodeEventCursor({ sessionId, afterIndex: last.eventIndex }) };
  }

  /** Store one event. An identical re-insert is a no-op; a clash is an `EventConflictError`. */
  async insertEvent(sessionId: string, event: SessionEvent): Promise<void> {
    this.assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    await this.write(id, [toStoredEvent(parseSessionEvent(id, event))]);
  }

  /** Store several events of one session in one transaction: all of them, or none on any conflict. */
  async insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<void> {
    this.assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    const parsed = parseSessionEvents(id, events).map((event, i) => toStoredEvent(event, `events[${i}]`));
    await this.write(id, parsed);
  }

  /** The last `limit` events of a session, ascending; costs what `limit` events cost, whatever the session's length. */
  async listLatestEvents(sessionId: string, limit: number): Promise<SessionEvent[]> {
    this.assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    const n = parseTailLimit(limit);
    return this.run("listLatestEvents", [EVENTS], "readonly", async (tx) => {
      const store = tx.objectStore(EVENTS);
      const lastKey = await store.openKeyCursor(allEventsOf(id), "prev");
      if (!lastKey) return [];
      const lastIndex = lastKey.key[1];
      // Client-written sessions have no gaps, so the last n events are usually exactly the
      // window [lastIndex - n + 1, lastIndex]: one bounded range read.
      const from = Math.max(0, lastIndex - n + 1);
      const window = await store.getAll(eventsBetween(id, from, lastIndex));
      if (window.length >= n || from === 0) return window;
      // Gaps: walk backwards from below the window for the rest.
      const before: SessionEvent[] = [];
      let cursor = await store.openCursor(eventsBetween(id, 0, from - 1), "prev");
      while (cursor && before.length < n - window.length) {
        before.push(cursor.value);
        cursor = await cursor.continue();
      }
      return before.reverse().concat(window);
    });
  }

  /** Delete a session record and all its events in one transaction. Unknown ids are a no-op. */
  async deleteSession(id: string): Promise<void> {
    this.assertOpen();
    const sessionId = parseSessionId(id);
    await this.run("deleteSession", [SESSIONS, EVENTS], "readwrite", async (tx) => {
      await Promise.all([tx.objectStore(SESSIONS).delete(sessionId), tx.objectStore(EVENTS).delete(allEventsOf(sessionId))]);
    });
  }

  /** Close the connection. Further calls reject with `DriverClosedError`; closing twice is a no-op. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending = this.connecting;
    this.connecting = undefined;
    this.connected = undefined;
    if (!pending) return;
    try {
      (await pending).close();
    } catch {
      // The open failed: there is no connection to close.
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new DriverClosedError(DRIVER);
  }

  /**
   * Store already validated and normalized events. The common case (all of them new) is one
   * transaction of plain adds: the primary key and the unique id index refuse any clash, and
   * a refusal aborts the transaction, so nothing is written. Only then does a second
   * transaction look at what is stored, to tell an identical re-insert (a no-op) from a
   * conflict, and write what is new.
   */
  private async write(sessionId: string, events: readonly SessionEvent[]): Promise<void> {
    const batch = dedupeBatch(sessionId, events);
    if (batch.length === 0) return;
    let refused = false;
    try {
      await this.addAll("insertEvents", batch, (event: Event) => {
        if ((event.target as IDBRequest).error?.name === "ConstraintError") refused = true;
      });
      return;
    } catch (error) {
      if (!refused) throw error;
    }
    await this.run("insertEvents", [EVENTS], "readwrite", async (tx) => {
      const store = tx.objectStore(EVENTS);
      const byId = store.index(EVENTS_BY_ID);
      // All lookups are issued at once; the transaction serializes them with any other writer.
      const [sameId, sameIndex] = await Promise.all([
        Promise.all(batch.map((event) => byId.get(event.id))),
        Promise.all(batch.map((event) => store.getKey([sessionId, event.eventIndex]))),
      ]);
      const fresh: SessionEvent[] = [];
      batch.forEach((event, i) => {
        const stored = sameId[i];
        if (stored) {
          if (sameEvent(stored, event)) return;
          throw new EventConflictError("id", sessionId, event.id, event.eventIndex);
        }
        if (sameIndex[i] !== undefined) throw new EventConflictError("eventIndex", sessionId, event.id, event.eventIndex);
        fresh.push(event);
      });
      await Promise.all(fresh.map((event) => store.add(event)));
    });
  }

  /**
   * Run `body` in one transaction and wait for it to commit. A failure aborts the
   * transaction (nothing is written) and surfaces as the driver's own typed error. A
   * connection that turns out to be closing is dropped and the call retried once on a new one.
   */
  /**
   * The insert fast path: add `events` in one readwrite transaction on the raw IndexedDB
   * API (no promise per request, no wrapper), resolving when the transaction commits. A
   * refused add aborts the whole transaction (its error is not prevented); `onError` sees it.
   */
  private async addAll(operation: string, events: readonly SessionEvent[], onError: (event: Event) => void): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const db = this.connected ?? unwrap(await this.connection());
      let tx: IDBTransaction;
      try {
        tx = db.transaction(EVENTS, "readwrite", { durability: this.durability });
      } catch (error) {
        if (attempt === 0 && isDomException(error, "InvalidStateError")) {
          this.forget(db);
          continue;
        }
        throw new IndexedDbOperationError(operation, error);
      }
      const committed = new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(tx.error ?? new DOMException("The transaction was aborted", "AbortError"));
      });
      try {
        const store = tx.objectStore(EVENTS);
        for (const event of events) store.add(event).onerror = onError;
      } catch (error) {
        try {
          tx.abort();
        } catch {
          // Already aborted by the failed request.
        }
        await committed.catch(() => undefined);
        throw new IndexedDbOperationError(operation, error);
      }
      try {
        await committed;
      } catch (error) {
        throw new IndexedDbOperationError(operation, error);
      }
      return;
    }
  }

  private async run<T, Mode extends IDBTransactionMode>(
    operation: string,
    stores: StoreNames<DurableAgentDbSchema>[],
    mode: Mode,
    body: (tx: Tx<Mode>) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const db = await this.connection();
      let tx: Tx<Mode>;
      try {
        tx = db.transaction(stores, mode, { durability: this.durability });
      } catch (error) {
        if (attempt === 0 && isDomException(error, "InvalidStateError")) {
          this.forget(unwrap(db));
          continue;
        }
        throw new IndexedDbOperationError(operation, error);
      }
      let result: T;
      try {
        result = await body(tx);
      } catch (error) {
        try {
          tx.abort();
        } catch {
          // Already aborted by the failed request.
        }
        await tx.done.catch(() => undefined);
        throw error instanceof PersistError ? error : new IndexedDbOperationError(operation, error);
      }
      try {
        await tx.done;
      } catch (error) {
        throw new IndexedDbOperationError(operation, error);
      }
      return result;
    }
  }

  private connection(): Promise<DurableAgentDb> {
    if (this.closed) return Promise.reject(new DriverClosedError(DRIVER));
    if (!this.connecting) {
      const attempt = this.open();
      this.connecting = attempt;
      // A failed open is not cached: the next call tries again.
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async open(): Promise<DurableAgentDb> {
    const factory = this.factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) throw new IndexedDbUnavailableError("indexedDB");
    const raw = await openDatabase({
      factory,
      name: this.databaseName,
      version: SCHEMA_VERSION,
      requiredStores: REQUIRED_STORES,
      blockedTimeoutMs: this.blockedTimeoutMs,
      upgrade: (db, tx, oldVersion, newVersion) =>
        upgradeSchema(wrap(db) as unknown as DurableAgentDb, wrap(tx) as unknown as Tx<"versionchange">, oldVersion, newVersion),
      onLost: (db) => this.forget(db),
    });
    this.connected = raw;
    return wrap(raw) as unknown as DurableAgentDb;
  }

  /** Drop a connection that is closed or closing, so the next call opens a new one. */
  private forget(db: IDBDatabase | undefined): void {
    if (db === undefined || db !== this.connected) return;
    this.connected = undefined;
    this.connecting = undefined;
  }
}

function isDomException(error: unknown, name: string): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === name;
}
