import { encodeEventCursor, decodeEventCursor, encodeSessionCursor, decodeSessionCursor, compareSessionKeys } from "./cursor.js";
import { sameEvent } from "./equality.js";
import { EventLog } from "./event-log.js";
import { copyJson } from "./json-copy.js";
import { DriverClosedError, EventConflictError, PersistValidationError, type ValidationIssue } from "./errors.js";
import {
  parseListEventsRequest,
  parseListPageRequest,
  parseSessionEvent,
  parseSessionEvents,
  parseSessionId,
  parseSessionRecord,
  parseTailLimit,
} from "./schemas.js";
import type {
  ListEventsRequest,
  ListPage,
  ListPageRequest,
  SessionEvent,
  SessionPersistCapabilities,
  SessionPersistDriver,
  SessionRecord,
} from "./types.js";

/** Options of {@link InMemorySessionPersistDriver}. */
export interface InMemorySessionPersistDriverOptions {
  /** The most sessions kept; over it the least recently written session is evicted. Default 1024. */
  maxSessions?: number;
  /** The most events kept per session; over it the session's oldest events are dropped. Default 500. */
  maxEventsPerSession?: number;
}

/** Session key in listing order. */
interface SessionKey {
  createdAt: number;
  id: string;
}

/** Everything stored for one session id. */
interface Slot {
  record: SessionRecord | undefined;
  /** Events sorted by ascending eventIndex, capped. */
  events: EventLog;
}

const NAME = "InMemorySessionPersistDriver";

/** A stored event handed out: a copy the caller may mutate. */
const copyEvent = (event: SessionEvent): SessionEvent => copyJson(event, "session event", "event");

/** A validated event about to be stored: a copy, refused when its payload is not JSON. */
const copyInput = (event: SessionEvent, path: string): SessionEvent => copyJson(event, "session event", `${path}.payload`);

function positiveInteger(value: unknown, fallback: number, path: string, issues: ValidationIssue[]): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    issues.push({ path, message: "must be a positive integer" });
    return fallback;
  }
  return value;
}

/** First position in `keys` whose key sorts after `key` (or at/after it when `inclusive`). */
function keyBound(keys: readonly SessionKey[], key: SessionKey, inclusive: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareSessionKeys(keys[mid]!, key);
    if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A driver that keeps everything in process memory: the default when no driver is given,
 * and a reference for writing others. Sessions live in a Map whose insertion order is their
 * recency (any write moves a session to the end), so eviction of the least recently active
 * session is O(1). Events are kept sorted by `eventIndex`, so a page is a binary search and
 * a slice; records are kept in a sorted key array, so `listSessions` never sorts.
 */
export class InMemorySessionPersistDriver implements SessionPersistDriver, SessionPersistCapabilities {
  readonly #maxSessions: number;
  readonly #maxEvents: number;
  /** Sessions by id, least recently active first. */
  readonly #slots = new Map<string, Slot>();
  /** Every stored event by id, across sessions: event ids are globally unique. */
  readonly #byId = new Map<string, SessionEvent>();
  /** Keys of the sessions that have a record, in listing order. */
  readonly #keys: SessionKey[] = [];
  /** The session written last: already at the recent end of #slots. */
  #lastTouched: string | undefined;
  #closed = false;

  /** @throws PersistValidationError when an option is not a positive integer. */
  constructor(options: InMemorySessionPersistDriverOptions = {}) {
    const issues: ValidationIssue[] = [];
    this.#maxSessions = positiveInteger(options.maxSessions, 1024, "options.maxSessions", issues);
    this.#maxEvents = positiveInteger(options.maxEventsPerSession, 500, "options.maxEventsPerSession", issues);
    if (issues.length > 0) throw new PersistValidationError("in-memory driver options", issues);
  }

  /** The record with this id (a copy), or `undefined`. */
  async getSession(id: string): Promise<SessionRecord | undefined> {
    this.#open();
    const record = this.#slots.get(parseSessionId(id))?.record;
    return record && copyJson(record, "session record", "session");
  }

  /** One page of records by ascending `(createdAt, id)`: a binary search in the sorted keys and a slice. */
  async listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>> {
    this.#open();
    const { cursor, limit } = parseListPageRequest(request);
    let start = 0;
    if (cursor !== undefined) {
      const after = decodeSessionCursor(cursor);
      start = keyBound(this.#keys, { createdAt: after.afterCreatedAt, id: after.afterId }, false);
    }
    const keys = this.#keys.slice(start, start + limit);
    const items = keys.map((key) => copyJson(this.#slots.get(key.id)!.record!, "session record", "session"));
    const last = keys[keys.length - 1];
    return start + limit < this.#keys.length && last
      ? { items, nextCursor: encodeSessionCursor({ afterCreatedAt: last.createdAt, afterId: last.id }) }
      : { items };
  }

  /** Insert or replace the record; counts as activity for eviction. */
  async updateSession(session: SessionRecord): Promise<void> {
    this.#open();
    this.#putRecord(copyJson(parseSessionRecord(session), "session record", "session"));
  }

  /**
   * Store the record unless one with its id exists: `true` when stored (counts as activity),
   * `false` when taken (nothing changes). Atomic: nothing else runs between check and write.
   */
  async insertSession(session: SessionRecord): Promise<boolean> {
    this.#open();
    const record = copyJson(parseSessionRecord(session), "session record", "session");
    if (this.#slots.get(record.id)?.record) return false;
    this.#putRecord(record);
    return true;
  }

  /** One page of a session's events by ascending `eventIndex`: a binary search and a slice. */
  async listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    this.#open();
    const { sessionId, cursor, limit } = parseListEventsRequest(request);
    const afterIndex = cursor === undefined ? -1 : decodeEventCursor(cursor, sessionId).afterIndex;
    const page = this.#slots.get(sessionId)?.events.after(afterIndex, limit) ?? { items: [], more: false };
    const items = page.items.map(copyEvent);
    const last = items[items.length - 1];
    return page.more && last
      ? { items, nextCursor: encodeEventCursor({ sessionId, afterIndex: last.eventIndex }) }
      : { items };
  }

  /** Store one event; identical re-inserts are no-ops, clashes throw EventConflictError. Counts as activity. */
  async insertEvent(sessionId: string, event: SessionEvent): Promise<void> {
    this.#open();
    // parseSessionEvent also checks sessionId: it must equal the validated event.sessionId.
    const valid = parseSessionEvent(sessionId, event);
    if (this.#check(valid, this.#slots.get(sessionId)?.events)) return;
    this.#store(sessionId, [copyInput(valid, "event")]);
  }

  /** Store a batch of one session's events atomically: on any conflict nothing is written. */
  async insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<void> {
    this.#open();
    parseSessionId(sessionId, "sessionId");
    const valid = parseSessionEvents(sessionId, events);
    const stored = this.#slots.get(sessionId)?.events;
    const fresh = new Map<string, SessionEvent>();
    const indexes = new Map<number, SessionEvent>();
    for (const [i, event] of valid.entries()) {
      if (this.#check(event, stored)) continue;
      const twin = fresh.get(event.id);
      if (twin) {
        if (sameEvent(twin, event)) continue;
        throw new EventConflictError("id", sessionId, event.id, event.eventIndex);
      }
      if (indexes.has(event.eventIndex)) throw new EventConflictError("eventIndex", sessionId, event.id, event.eventIndex);
      fresh.set(event.id, copyInput(event, `events[${i}]`));
      indexes.set(event.eventIndex, event);
    }
    if (fresh.size > 0) this.#store(sessionId, [...fresh.values()]);
  }

  /** The last `limit` events of a session, ascending. */
  async listLatestEvents(sessionId: string, limit: number): Promise<SessionEvent[]> {
    this.#open();
    const id = parseSessionId(sessionId, "sessionId");
    const n = parseTailLimit(limit);
    return this.#slots.get(id)?.events.latest(n).map(copyEvent) ?? [];
  }

  /** Delete a session's record and events; unknown ids are a no-op. */
  async deleteSession(id: string): Promise<void> {
    this.#open();
    this.#drop(parseSessionId(id));
  }

  /** Drop everything; later calls reject with DriverClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#slots.clear();
    this.#byId.clear();
    this.#keys.length = 0;
  }

  #open(): void {
    if (this.#closed) throw new DriverClosedError(NAME);
  }

  /** Store a validated, copied record in place of any other with its id, then enforce the session cap. */
  #putRecord(record: SessionRecord): void {
    const slot = this.#touch(record.id);
    if (slot.record) this.#keys.splice(keyBound(this.#keys, slot.record, true), 1);
    this.#keys.splice(keyBound(this.#keys, record, true), 0, { createdAt: record.createdAt, id: record.id });
    slot.record = record;
    this.#evictSessions();
  }

  /**
   * True when `event` is already stored (an idempotent re-insert); throws on a conflict with a
   * stored event; false when it is new.
   */
  #check(event: SessionEvent, stored: EventLog | undefined): boolean {
    const known = this.#byId.get(event.id);
    if (known) {
      if (sameEvent(known, event)) return true;
      throw new EventConflictError("id", event.sessionId, event.id, event.eventIndex);
    }
    if (stored?.at(event.eventIndex)) {
      throw new EventConflictError("eventIndex", event.sessionId, event.id, event.eventIndex);
    }
    return false;
  }

  /** Add checked, copied events to a session, keeping order, then enforce both caps. */
  #store(sessionId: string, events: readonly SessionEvent[]): void {
    const slot = this.#touch(sessionId);
    for (const event of events) {
      this.#byId.set(event.id, event);
      for (const dropped of slot.events.insert(event)) this.#byId.delete(dropped.id);
    }
    this.#evictSessions();
  }

  /** The slot of `id`, created if needed, moved to the most recently active end. */
  #touch(id: string): Slot {
    let slot = this.#slots.get(id);
    if (slot && id === this.#lastTouched) return slot;
    this.#lastTouched = id;
    if (slot) this.#slots.delete(id);
    else slot = { record: undefined, events: new EventLog(this.#maxEvents) };
    this.#slots.set(id, slot);
    return slot;
  }

  #evictSessions(): void {
    while (this.#slots.size > this.#maxSessions) {
      const oldest = this.#slots.keys().next().value as string;
      this.#drop(oldest);
    }
  }

  #drop(id: string): void {
    const slot = this.#slots.get(id);
    if (!slot) return;
    this.#slots.delete(id);
    if (id === this.#lastTouched) this.#lastTouched = undefined;
    for (const event of slot.events.live()) this.#byId.delete(event.id);
    if (slot.record) this.#keys.splice(keyBound(this.#keys, slot.record, true), 1);
  }
}
