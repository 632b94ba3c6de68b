import type { AgentStateStorage } from "./agent-state.js";
import { agentStateMethods, hasAgentStatePrimitives } from "./agent-state-methods.js";
import type { EventClash, MaybePromise, PersistBackend } from "./backend.js";
import { dedupeBatch } from "./batch.js";
import { hasLeasePrimitives, leaseMethods } from "./lease-methods.js";
import type { SessionLeaseCapabilities } from "./leases.js";
import { decodeEventCursor, decodeSessionCursor, encodeEventCursor, encodeSessionCursor } from "./cursor.js";
import { sameEvent } from "./equality.js";
import { DriverClosedError, EventConflictError, PersistError, PersistValidationError } from "./errors.js";
import {
  parseListEventsRequest,
  parseListPageRequest,
  parseSessionEvent,
  parseSessionEvents,
  parseSessionId,
  parseSessionRecord,
  parseTailLimit,
} from "./schemas.js";
import { trimMethod, type EventTrimCapability } from "./trim.js";
import { activityMethod, type SessionActivityCapability } from "./activity.js";
import type {
  ListEventsRequest,
  ListPage,
  ListPageRequest,
  SessionEvent,
  SessionPersistCapabilities,
  SessionPersistDriver,
  SessionRecord,
} from "./types.js";

/** One all-or-nothing insert of a batch into the backend (plain or fenced): the clashes when refused. */
type EventStore = (events: readonly SessionEvent[]) => MaybePromise<readonly EventClash[] | undefined>;

/** Retries of an insert refused by keys that were free again when the backend looked (concurrent deletes). */
const MAX_FREED_RETRIES = 5;

/**
 * A complete {@link SessionPersistDriver}, with every optional capability, over the storage
 * primitives of a {@link PersistBackend}. It does once what every driver must: validation
 * (`PersistValidationError` naming each field, nothing written), keyset cursors (scoped,
 * refused with `InvalidCursorError` when foreign), `limit + 1` paging with no cursor on the
 * last page, batch de-duplication, idempotent re-inserts versus `EventConflictError`, and the
 * closed state (`DriverClosedError`).
 *
 * Use it as is, or extend it to give the driver its own class name, options and methods:
 *
 * ```ts
 * class MySessionPersistDriver extends PersistDriver {
 *   constructor(options: MyOptions) {
 *     super("MySessionPersistDriver", new MyBackend(options));
 *   }
 * }
 * ```
 */
export class PersistDriver implements SessionPersistDriver, SessionPersistCapabilities {
  readonly #name: string;
  readonly #backend: PersistBackend;
  #closed = false;

  // The lease capability: own properties, set by the constructor only when the backend has
  // the six lease primitives, so capability detection (`typeof d.acquireLease`) tells true.
  /** Lease capability (see {@link SessionLeaseCapabilities}); present only when the backend leases. */
  declare readonly acquireLease?: SessionLeaseCapabilities["acquireLease"];
  /** Lease capability (see {@link SessionLeaseCapabilities}); present only when the backend leases. */
  declare readonly renewLease?: SessionLeaseCapabilities["renewLease"];
  /** Lease capability (see {@link SessionLeaseCapabilities}); present only when the backend leases. */
  declare readonly releaseLease?: SessionLeaseCapabilities["releaseLease"];
  /** Lease capability (see {@link SessionLeaseCapabilities}); present only when the backend leases. */
  declare readonly getLease?: SessionLeaseCapabilities["getLease"];
  /** Lease capability (see {@link SessionLeaseCapabilities}); present only when the backend leases. */
  declare readonly insertEventsFenced?: SessionLeaseCapabilities["insertEventsFenced"];
  /** Lease capability (see {@link SessionLeaseCapabilities}); present only when the backend leases. */
  declare readonly updateSessionFenced?: SessionLeaseCapabilities["updateSessionFenced"];

  // The agent state capability: own properties, set by the constructor only when the backend
  // has the four primitives, so capability detection (`typeof d.appendAgentState`) tells true.
  /** Agent state capability (see {@link AgentStateStorage}); present only when the backend stores agent state. */
  declare readonly appendAgentState?: AgentStateStorage["appendAgentState"];
  /** Agent state capability (see {@link AgentStateStorage}); present only when the backend stores agent state. */
  declare readonly readAgentState?: AgentStateStorage["readAgentState"];
  /** Agent state capability (see {@link AgentStateStorage}); present only when the backend stores agent state. */
  declare readonly listAgentState?: AgentStateStorage["listAgentState"];
  /** Agent state capability (see {@link AgentStateStorage}); present only when the backend stores agent state. */
  declare readonly deleteAgentState?: AgentStateStorage["deleteAgentState"];

  /** Event-trim capability (see {@link EventTrimCapability}); present only when the backend has the `deleteEventsBefore` primitive. */
  declare readonly deleteEventsBefore?: EventTrimCapability["deleteEventsBefore"];
  /** Session activity capability (see {@link SessionActivityCapability}); present only when the backend has the `scanSessionActivity` primitive. */
  declare readonly listSessionActivity?: SessionActivityCapability["listSessionActivity"];

  /**
   * @param name the driver's name, used in error messages (`"MySessionPersistDriver is closed"`).
   * @param backend the storage primitives; the driver owns it from now on and closes it in {@link PersistDriver.close}.
   */
  constructor(name: string, backend: PersistBackend) {
    this.#name = name;
    this.#backend = backend;
    if (backend.deleteEventsBefore !== undefined) {
      Object.assign(this, trimMethod(backend, { assertOpen: () => this.assertOpen(), call: (run) => this.#call(run) }));
    }
    if (backend.scanSessionActivity !== undefined) {
      Object.assign(this, activityMethod(backend, { assertOpen: () => this.assertOpen(), call: (run) => this.#call(run) }));
    }
    if (hasLeasePrimitives(backend)) {
      Object.assign(
        this,
        leaseMethods(backend, {
          assertOpen: () => this.assertOpen(),
          call: (run) => this.#call(run),
          checkRecord: (record) => this.#checkRecord(record),
          checkEvents: (what, events) => {
            if (backend.checkEvent !== undefined) this.#checkEvents(what, events, undefined);
          },
          insert: (sessionId, batch, store) => this.#insert(sessionId, batch, store),
        }),
      );
    }
    if (hasAgentStatePrimitives(backend)) {
      Object.assign(this, agentStateMethods(backend, { assertOpen: () => this.assertOpen(), call: (run) => this.#call(run) }));
    }
  }

  /** The record with this id, or `undefined`. */
  async getSession(id: string): Promise<SessionRecord | undefined> {
    this.assertOpen();
    const sessionId = parseSessionId(id);
    return this.#call(() => this.#backend.readSession(sessionId));
  }

  /** One page of records by ascending `(createdAt, id)`, ids in code-point order. */
  async listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>> {
    this.assertOpen();
    const { cursor, limit } = parseListPageRequest(request);
    const after = cursor === undefined ? undefined : decodeSessionCursor(cursor);
    const key = after && { createdAt: after.afterCreatedAt, id: after.afterId };
    const found = this.#call(() => this.#backend.scanSessions(key, limit + 1));
    const rows = isPromise(found) ? await found : found;
    return page(rows, limit, (last) => encodeSessionCursor({ afterCreatedAt: last.createdAt, afterId: last.id }));
  }

  /** Insert or replace the record with `session.id` (upsert), every field. */
  async updateSession(session: SessionRecord): Promise<void> {
    this.assertOpen();
    const record = this.#checkRecord(session);
    return this.#call(() => this.#backend.writeSession(record));
  }

  /**
   * Store the record unless one with its id exists: `true` when stored, `false` (nothing
   * changed) when taken. Atomic: of any number of callers racing on one id, exactly one stores.
   */
  async insertSession(session: SessionRecord): Promise<boolean> {
    this.assertOpen();
    const record = this.#checkRecord(session);
    return this.#call(() => this.#backend.insertSession(record));
  }

  /** One page of a session's events by ascending `eventIndex`. */
  async listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    this.assertOpen();
    const { sessionId, cursor, limit } = parseListEventsRequest(request);
    const afterIndex = cursor === undefined ? -1 : decodeEventCursor(cursor, sessionId).afterIndex;
    const found = this.#call(() => this.#backend.scanEvents(sessionId, afterIndex, limit + 1));
    const rows = isPromise(found) ? await found : found;
    return page(rows, limit, (last) => encodeEventCursor({ sessionId, afterIndex: last.eventIndex }));
  }

  /**
   * Store one event. An identical event already stored is a no-op; a different one under its
   * id (in any session), or another event at its `(sessionId, eventIndex)`, is an
   * `EventConflictError` and the stored event is untouched.
   */
  async insertEvent(sessionId: string, event: SessionEvent): Promise<void> {
    this.assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    const batch = [parseSessionEvent(id, event)];
    if (this.#backend.checkEvent !== undefined) this.#checkEvents("session event", batch, "event");
    const settling = this.#insert(id, batch);
    if (settling !== undefined) await settling;
  }

  /**
   * Store several events of one session atomically: all of them, or none when any conflicts
   * or is invalid. Identical events already stored, and exact repeats inside the batch, are skipped.
   */
  async insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<void> {
    this.assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    const valid = parseSessionEvents(id, events);
    if (valid.length === 0) return;
    if (this.#backend.checkEvent !== undefined) this.#checkEvents("session events", valid, undefined);
    const settling = this.#insert(id, dedupeBatch(id, valid));
    if (settling !== undefined) await settling;
  }

  /** The last `limit` events of a session, ascending; `[]` for an unknown session. */
  async listLatestEvents(sessionId: string, limit: number): Promise<SessionEvent[]> {
    this.assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    const n = parseTailLimit(limit);
    return this.#call(() => this.#backend.readTail(id, n));
  }

  /** Delete a session record and all its events; an unknown id is a no-op. */
  async deleteSession(id: string): Promise<void> {
    this.assertOpen();
    const sessionId = parseSessionId(id);
    return this.#call(() => this.#backend.deleteSession(sessionId));
  }

  /** Close the backend. Every later call rejects with `DriverClosedError`; closing again is a no-op. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#backend.close();
  }

  /** Throw `DriverClosedError` once {@link PersistDriver.close} was called: for methods a subclass adds. */
  protected assertOpen(): void {
    if (this.#closed) throw new DriverClosedError(this.#name);
  }

  /**
   * A backend failure as the caller sees it: when the driver was closed while the call ran,
   * the backend's complaint about it (an ended pool, a closed connection) is `DriverClosedError`.
   */
  #failure(error: unknown): unknown {
    return this.#closed && !(error instanceof PersistError) ? new DriverClosedError(this.#name, { cause: error }) : error;
  }

  /**
   * Run one backend call, its failure as the caller sees it (see `#failure`). A backend that
   * answers synchronously is not awaited: every call of the in-memory and SQLite drivers would
   * otherwise pay for a promise it does not need.
   */
  #call<T>(run: () => MaybePromise<T>): MaybePromise<T> {
    let result: MaybePromise<T>;
    try {
      result = run();
    } catch (error) {
      throw this.#failure(error);
    }
    return isPromise(result) ? result.catch((error: unknown) => Promise.reject(this.#failure(error))) : result;
  }

  /** Validate a record, with the backend's own checks. */
  #checkRecord(session: SessionRecord): SessionRecord {
    const record = parseSessionRecord(session);
    const issues = this.#backend.checkSession?.(record);
    if (issues !== undefined && issues.length > 0) throw new PersistValidationError("session record", issues);
    return record;
  }

  /** Run the backend's own checks on validated events; `path` names a single event, else `events[i]`. */
  #checkEvents(what: string, events: readonly SessionEvent[], path: string | undefined): void {
    for (let i = 0; i < events.length; i++) {
      const issues = this.#backend.checkEvent?.(events[i] as SessionEvent, path ?? `events[${i}]`);
      if (issues !== undefined && issues.length > 0) throw new PersistValidationError(what, issues);
    }
  }

  /**
   * Insert a batch free of internal clashes: the backend stores all of it or reports what
   * holds the keys; idempotent re-inserts are dropped and the rest sent again, anything else
   * is a conflict. Each call to the backend is all or nothing, so the batch is too. A backend
   * that answers synchronously is not awaited (the insert path is the hot one). `store` is the
   * backend call (a fenced insert passes its own).
   */
  #insert(
    sessionId: string,
    batch: readonly SessionEvent[],
    store: EventStore = (events) => this.#backend.insertEvents(sessionId, events),
  ): Promise<void> | undefined {
    let clashes: MaybePromise<readonly EventClash[] | undefined>;
    try {
      clashes = store(batch);
    } catch (error) {
      throw this.#failure(error);
    }
    if (!isPromise(clashes)) return clashes === undefined ? undefined : this.#settle(sessionId, batch, clashes, store);
    return clashes.then(
      (found) => this.#settle(sessionId, batch, found, store),
      (error: unknown) => Promise.reject(this.#failure(error)),
    );
  }

  /** After the backend refused `batch` with `clashes`: drop stored repeats and send the rest again, or throw the conflict. */
  async #settle(
    sessionId: string,
    batch: readonly SessionEvent[],
    clashes: readonly EventClash[] | undefined,
    store: EventStore,
  ): Promise<void> {
    let pending = batch;
    let freed = 0;
    while (clashes !== undefined) {
      const stored = repeatsOrConflict(sessionId, clashes);
      if (stored.size > 0) {
        pending = pending.filter((event) => !stored.has(event));
        if (pending.length === 0) return;
      } else if (++freed >= MAX_FREED_RETRIES) {
        // Refused, but nothing holds the keys any more (deleted meanwhile), again and again.
        const first = pending[0] as SessionEvent;
        throw new EventConflictError("eventIndex", sessionId, first.id, first.eventIndex);
      }
      try {
        clashes = await store(pending);
      } catch (error) {
        throw this.#failure(error);
      }
    }
  }
}

/**
 * A page from `limit + 1` rows: the first `limit`, and a cursor after the last of them when
 * the extra row shows that more follow (a page with a cursor is never empty, the last page has none).
 */
function page<T>(rows: T[], limit: number, cursorAfter: (last: T) => string): ListPage<T> {
  if (rows.length <= limit) return { items: rows };
  rows.length = limit;
  return { items: rows, nextCursor: cursorAfter(rows[limit - 1] as T) };
}

function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === "function";
}

/**
 * The events of `clashes` that are already stored exactly (idempotent re-inserts).
 * @throws EventConflictError for the first clash that is not one.
 */
function repeatsOrConflict(sessionId: string, clashes: readonly EventClash[]): Set<SessionEvent> {
  const stored = new Set<SessionEvent>();
  for (const { event, storedWithId, indexTaken } of clashes) {
    if (storedWithId !== undefined) {
      if (!sameEvent(storedWithId, event)) throw new EventConflictError("id", sessionId, event.id, event.eventIndex);
      stored.add(event);
    } else if (indexTaken === true) {
      throw new EventConflictError("eventIndex", sessionId, event.id, event.eventIndex);
    }
  }
  return stored;
}
