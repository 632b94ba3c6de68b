import type { EventClash, PersistBackend, SessionKey } from "../../src/persist/backend.js";
import type { LeaseAcquireResult, SessionLease } from "../../src/persist/leases.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";
import { appendAgentState, deleteAgentState, deleteSessionAgentState, listAgentState, readAgentState } from "./agent-state.js";
import { Connection } from "./connection.js";
import { acquireLease, assertLeaseIn, readLease, releaseLease, renewLease } from "./leases.js";
import { allEventsOf, eventsBetween, eventsFrom, sessionsAfter } from "./keys.js";
import { AGENT_STATE, EVENTS, EVENTS_BY_ID, LEASES, SESSIONS, SESSIONS_BY_ORDER } from "./names.js";
import type { ResolvedOptions } from "./options.js";
import { trimEvents } from "./retention.js";
import { eventToRow, rowToSession, sessionToRow } from "./rows.js";
import type { SessionRow } from "./schema.js";
import { addAll, addUnlessPresent, collect, request, transact } from "./transaction.js";

/**
 * IndexedDB storage: every read is a key-range query on a primary key or an index (see
 * schema.ts), every write one transaction, so a batch is stored whole or not at all, also
 * with several tabs writing at once.
 */
export class IndexedDbBackend implements PersistBackend {
  readonly #connection: Connection;

  /** Nothing is opened yet: the first call opens (and creates or upgrades) the database. */
  constructor(options: ResolvedOptions) {
    this.#connection = new Connection(options);
  }

  /** A get by primary key. */
  readSession(id: string): Promise<SessionRecord | undefined> {
    return transact(this.#connection, "getSession", [SESSIONS], "readonly", async (tx) => {
      const row = await request<SessionRow | undefined>(tx.objectStore(SESSIONS).get(id));
      return row && rowToSession(row);
    });
  }

  /** A put. */
  async writeSession(record: SessionRecord): Promise<void> {
    const row = sessionToRow(record);
    await transact(this.#connection, "updateSession", [SESSIONS], "readwrite", (tx) => request(tx.objectStore(SESSIONS).put(row)));
  }

  /** An `add` in one readwrite transaction: of several tabs racing on one id, one stores. */
  insertSession(record: SessionRecord): Promise<boolean> {
    const row = sessionToRow(record);
    return transact(this.#connection, "insertSession", [SESSIONS], "readwrite", (tx) =>
      addUnlessPresent(tx.objectStore(SESSIONS), row),
    );
  }

  /** A bounded `getAll` on the `byOrder` index, from just after `after`. */
  async scanSessions(after: SessionKey | undefined, limit: number): Promise<SessionRecord[]> {
    const range = after === undefined ? undefined : sessionsAfter(after.createdAt, after.id);
    const rows = await transact(this.#connection, "listSessions", [SESSIONS], "readonly", (tx) =>
      request<SessionRow[]>(tx.objectStore(SESSIONS).index(SESSIONS_BY_ORDER).getAll(range, limit)),
    );
    return rows.map(rowToSession);
  }

  /** A bounded `getAll` on the primary key range `[sessionId, afterIndex + 1] .. [sessionId, Infinity]`. */
  scanEvents(sessionId: string, afterIndex: number, limit: number): Promise<SessionEvent[]> {
    return transact(this.#connection, "listEvents", [EVENTS], "readonly", (tx) =>
      request<SessionEvent[]>(tx.objectStore(EVENTS).getAll(eventsFrom(sessionId, afterIndex + 1), limit)),
    );
  }

  /**
   * The last key of the session (one key cursor step backwards), then the window of `limit`
   * indexes below it in one bounded read; only a session with gaps needs a walk further back.
   */
  readTail(sessionId: string, limit: number): Promise<SessionEvent[]> {
    return transact(this.#connection, "listLatestEvents", [EVENTS], "readonly", async (tx) => {
      const store = tx.objectStore(EVENTS);
      const lastKey = await request(store.openKeyCursor(allEventsOf(sessionId), "prev"));
      if (!lastKey) return [];
      const lastIndex = (lastKey.key as [string, number])[1];
      // Client-written sessions have no gaps, so the last n events are usually exactly the
      // window [lastIndex - n + 1, lastIndex]: one bounded range read.
      const from = Math.max(0, lastIndex - limit + 1);
      const window = await request<SessionEvent[]>(store.getAll(eventsBetween(sessionId, from, lastIndex)));
      if (window.length >= limit || from === 0) return window;
      // Gaps: walk backwards from below the window for the rest.
      const before = await collect<SessionEvent>(store.openCursor(eventsBetween(sessionId, 0, from - 1), "prev"), limit - window.length);
      return before.reverse().concat(window);
    });
  }

  /**
   * One readwrite transaction of plain adds: the primary key and the unique id index refuse
   * any clash, and a refusal aborts the transaction, so nothing is written. Only then does a
   * read-only transaction look up what holds the keys.
   */
  insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<readonly EventClash[] | undefined> {
    return this.#insert(sessionId, events, undefined);
  }

  /** The insert, or with `lease` its fenced form: the lease row checked in the same transaction as the adds. */
  async #insert(sessionId: string, events: readonly SessionEvent[], lease: SessionLease | undefined): Promise<readonly EventClash[] | undefined> {
    const rows = events.map((event, i) => eventToRow(event, events.length === 1 ? "event" : `events[${i}]`));
    let refused = false;
    try {
      if (lease === undefined) {
        await transact(this.#connection, "insertEvents", [EVENTS], "readwrite", (tx) => {
          addAll(tx.objectStore(EVENTS), rows, () => (refused = true));
        });
      } else {
        await transact(this.#connection, "insertEventsFenced", [LEASES, EVENTS], "readwrite", async (tx) => {
          await assertLeaseIn(tx, lease);
          addAll(tx.objectStore(EVENTS), rows, () => (refused = true));
        });
      }
      return undefined;
    } catch (error) {
      if (!refused) throw error;
    }
    return transact(this.#connection, "insertEvents", [EVENTS], "readonly", async (tx) => {
      const store = tx.objectStore(EVENTS);
      const byId = store.index(EVENTS_BY_ID);
      // All lookups are issued at once; the transaction serializes them with any writer.
      const [sameId, sameIndex] = await Promise.all([
        Promise.all(events.map((event) => request<SessionEvent | undefined>(byId.get(event.id)))),
        Promise.all(events.map((event) => request(store.getKey([sessionId, event.eventIndex])))),
      ]);
      const clashes: EventClash[] = [];
      events.forEach((event, i) => {
        const storedWithId = sameId[i];
        if (storedWithId !== undefined) clashes.push({ event, storedWithId });
        else if (sameIndex[i] !== undefined) clashes.push({ event, indexTaken: true });
      });
      return clashes;
    });
  }

  /** A count, one key-range delete and the marker's add, in one transaction (drivers/indexeddb/retention.ts). */
  deleteEventsBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): Promise<number> {
    return trimEvents(this.#connection, sessionId, beforeIndex, marker);
  }

  /** The record and the key range of its events, in one transaction. */
  async deleteSession(id: string): Promise<void> {
    await transact(this.#connection, "deleteSession", [SESSIONS, EVENTS, AGENT_STATE], "readwrite", (tx) =>
      Promise.all([
        request(tx.objectStore(SESSIONS).delete(id)),
        request(tx.objectStore(EVENTS).delete(allEventsOf(id))),
        deleteSessionAgentState(tx, id),
      ]),
    );
  }

  /** The last chunk's end checked and the new chunk added in one readwrite transaction (see agent-state.ts). */
  appendAgentState(write: AgentStateWrite): Promise<number | undefined> {
    return appendAgentState(this.#connection, write);
  }

  /** The file's chunks in one request, concatenated. */
  readAgentState(sessionId: string, path: string): Promise<Uint8Array | undefined> {
    return readAgentState(this.#connection, sessionId, path);
  }

  /** One cursor step per file. */
  listAgentState(sessionId: string): Promise<AgentStateFileInfo[]> {
    return listAgentState(this.#connection, sessionId);
  }

  /** One range delete. */
  deleteAgentState(sessionId: string, path: string | undefined): Promise<void> {
    return deleteAgentState(this.#connection, sessionId, path);
  }

  /** Read, decide and write the lease row in one readwrite transaction (see leases.ts). */
  acquireLease(sessionId: string, holder: string, ttlMs: number): Promise<LeaseAcquireResult> {
    return acquireLease(this.#connection, sessionId, holder, ttlMs);
  }

  /** Extend the lease while its token is current, in one readwrite transaction. */
  renewLease(lease: SessionLease, ttlMs: number): Promise<SessionLease> {
    return renewLease(this.#connection, lease, ttlMs);
  }

  /** Expire the lease while its token is current, in one readwrite transaction. */
  releaseLease(lease: SessionLease): Promise<void> {
    return releaseLease(this.#connection, lease);
  }

  /** A get by primary key. */
  readLease(sessionId: string): Promise<SessionLease | undefined> {
    return readLease(this.#connection, sessionId);
  }

  /** The lease row checked and the events added in one readwrite transaction over both stores. */
  insertEventsFenced(lease: SessionLease, events: readonly SessionEvent[]): Promise<readonly EventClash[] | undefined> {
    return this.#insert(lease.sessionId, events, lease);
  }

  /** The lease row checked and the record put in one readwrite transaction over both stores. */
  async writeSessionFenced(lease: SessionLease, record: SessionRecord): Promise<void> {
    const row = sessionToRow(record);
    await transact(this.#connection, "updateSessionFenced", [LEASES, SESSIONS], "readwrite", async (tx) => {
      await assertLeaseIn(tx, lease);
      await request(tx.objectStore(SESSIONS).put(row));
    });
  }

  /** Close the connection (also one still opening). */
  close(): Promise<void> {
    return this.#connection.close();
  }
}
