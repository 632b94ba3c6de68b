import type { SessionActivity } from "../activity.js";
import type { EventClash, PersistBackend, SessionKey } from "../backend.js";
import { compareSessionKeys } from "../cursor.js";
import { EventConflictError } from "../errors.js";
import { copyJson } from "../json-copy.js";
import type { SessionEvent, SessionRecord } from "../types.js";
import type { LeaseAcquireResult, SessionLease } from "../leases.js";
import type { AgentStateFileInfo } from "../agent-state.js";
import type { AgentStateWrite } from "../backend.js";
import { MemoryAgentState } from "./agent-state.js";
import { EventLog } from "./event-log.js";
import { MemoryLeases } from "./leases.js";
import type { ResolvedOptions } from "./options.js";

// The in-memory driver's storage. Sessions live in a Map whose insertion order is their
// recency (any write moves a session to the end), so eviction of the least recently active
// session is O(1). Events are kept sorted by `eventIndex` (a page is a binary search and a
// slice); records are kept in a sorted key array, so listing sessions never sorts. Everything
// stored and everything handed out is a copy.

/** Everything stored for one session id. */
interface Slot {
  record: SessionRecord | undefined;
  /** Events sorted by ascending eventIndex, capped. */
  events: EventLog;
}

const copyRecord = (record: SessionRecord): SessionRecord => copyJson(record, "session record", "session");
const copyEvent = (event: SessionEvent): SessionEvent => copyJson(event, "session event", "event");

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

/** Sessions and events in process memory, with a cap on each. */
export class MemoryBackend implements PersistBackend {
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
  /** Agent state files (deleted with their session, by deleteSession and by eviction alike). */
  readonly #agentState = new MemoryAgentState();
  /** Session leases (kept apart from the slots: eviction and deleteSession keep them). */
  readonly #leases = new MemoryLeases();

  constructor(options: ResolvedOptions) {
    this.#maxSessions = options.maxSessions;
    this.#maxEvents = options.maxEventsPerSession;
  }

  /** A copy of the record, or `undefined`. Reading is not activity. */
  readSession(id: string): SessionRecord | undefined {
    const record = this.#slots.get(id)?.record;
    return record && copyRecord(record);
  }

  /** Store a copy in place of any other record with its id; counts as activity. */
  writeSession(record: SessionRecord): void {
    this.#putRecord(copyRecord(record));
  }

  /** Nothing else runs between the check and the write, so this is atomic. */
  insertSession(record: SessionRecord): boolean {
    const copy = copyRecord(record);
    if (this.#slots.get(copy.id)?.record) return false;
    this.#putRecord(copy);
    return true;
  }

  /** A binary search in the sorted keys and a slice. */
  scanSessions(after: SessionKey | undefined, limit: number): SessionRecord[] {
    const start = after === undefined ? 0 : keyBound(this.#keys, after, false);
    return this.#keys.slice(start, start + limit).map((key) => copyRecord(this.#slots.get(key.id)!.record!));
  }

  /** {@link MemoryBackend.scanSessions} with each session's first and last event. */
  scanSessionActivity(after: SessionKey | undefined, limit: number): SessionActivity[] {
    return this.scanSessions(after, limit).map((record) => {
      const log = this.#slots.get(record.id)?.events;
      const first = log?.after(-1, 1).items[0];
      const last = log?.latest(1)[0];
      return first && last ? { record, firstEventIndex: first.eventIndex, lastEventIndex: last.eventIndex, lastEventAt: last.createdAt } : { record };
    });
  }

  /** A binary search in the session's log and a slice. */
  scanEvents(sessionId: string, afterIndex: number, limit: number): SessionEvent[] {
    return this.#slots.get(sessionId)?.events.after(afterIndex, limit).items.map(copyEvent) ?? [];
  }

  /** The end of the session's log. */
  readTail(sessionId: string, limit: number): SessionEvent[] {
    return this.#slots.get(sessionId)?.events.latest(limit).map(copyEvent) ?? [];
  }

  /** Check every key first, then store copies of all the events; counts as activity when something is stored. */
  insertEvents(sessionId: string, events: readonly SessionEvent[]): readonly EventClash[] | undefined {
    const log = this.#slots.get(sessionId)?.events;
    let clashes: EventClash[] | undefined;
    for (const event of events) {
      const storedWithId = this.#byId.get(event.id);
      if (storedWithId !== undefined) (clashes ??= []).push({ event, storedWithId });
      else if (log?.at(event.eventIndex) !== undefined) (clashes ??= []).push({ event, indexTaken: true });
    }
    if (clashes !== undefined) return clashes;
    // Copied before anything is stored: a payload holding a function is refused whole.
    const copies = events.map((event, i) =>
      copyJson(event, "session event", events.length === 1 ? "event.payload" : `events[${i}].payload`),
    );
    const slot = this.#touch(sessionId);
    for (const event of copies) {
      this.#byId.set(event.id, event);
      for (const dropped of slot.events.insert(event)) this.#byId.delete(dropped.id);
    }
    this.#evictSessions();
    return undefined;
  }

  /**
   * Replace or append, checked and written with nothing in between. A write is activity: the
   * session counts toward `maxSessions` (so sessions holding only agent state are capped too)
   * and its files go when it is evicted.
   */
  appendAgentState(write: AgentStateWrite): number | undefined {
    const refused = this.#agentState.append(write);
    if (refused === undefined) {
      this.#touch(write.sessionId);
      this.#evictSessions();
    }
    return refused;
  }

  /** A fresh array of the whole file. */
  readAgentState(sessionId: string, path: string): Uint8Array | undefined {
    return this.#agentState.read(sessionId, path);
  }

  /** The session's files by path. */
  listAgentState(sessionId: string): AgentStateFileInfo[] {
    return this.#agentState.list(sessionId);
  }

  /** One file, or all of the session's. */
  deleteAgentState(sessionId: string, path: string | undefined): void {
    this.#agentState.delete(sessionId, path);
  }

  /** Forget the session's record and events, and free its event ids. */
  deleteSession(id: string): void {
    this.#drop(id);
  }

  /**
   * Cut the start of a session's log and put the marker in the freed slot; not activity (the
   * session keeps its place in the eviction order). The marker's id is checked before anything
   * is dropped, so a clash changes nothing.
   */
  deleteEventsBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): number {
    const slot = this.#slots.get(sessionId);
    if (!slot) return 0;
    if (marker !== undefined && this.#byId.has(marker.id)) {
      throw new EventConflictError("id", sessionId, marker.id, marker.eventIndex);
    }
    const copy = marker && copyJson(marker, "session event", "marker.payload");
    const dropped = slot.events.dropBefore(beforeIndex);
    for (const event of dropped) this.#byId.delete(event.id);
    if (dropped.length > 0 && copy !== undefined) {
      this.#byId.set(copy.id, copy);
      for (const gone of slot.events.insert(copy)) this.#byId.delete(gone.id);
    }
    return dropped.length;
  }

  /** Take the lease on the process clock; nothing else runs meanwhile, so it is atomic. */
  acquireLease(sessionId: string, holder: string, ttlMs: number): LeaseAcquireResult {
    return this.#leases.acquire(sessionId, holder, ttlMs);
  }

  /** Extend the lease while its token is current. */
  renewLease(lease: SessionLease, ttlMs: number): SessionLease {
    return this.#leases.renew(lease, ttlMs);
  }

  /** Expire the lease while its token is current. */
  releaseLease(lease: SessionLease): void {
    this.#leases.release(lease);
  }

  /** A copy of the lease row. */
  readLease(sessionId: string): SessionLease | undefined {
    return this.#leases.read(sessionId);
  }

  /** The token check then the insert, with nothing in between. */
  insertEventsFenced(lease: SessionLease, events: readonly SessionEvent[]): readonly EventClash[] | undefined {
    this.#leases.assertCurrent(lease);
    return this.insertEvents(lease.sessionId, events);
  }

  /** The token check then the write, with nothing in between. */
  writeSessionFenced(lease: SessionLease, record: SessionRecord): void {
    this.#leases.assertCurrent(lease);
    this.writeSession(record);
  }

  /** Drop everything. */
  close(): void {
    this.#agentState.clear();
    this.#leases.clear();
    this.#slots.clear();
    this.#byId.clear();
    this.#keys.length = 0;
  }

  /** Store a copied record in place of any other with its id, then enforce the session cap. */
  #putRecord(record: SessionRecord): void {
    const slot = this.#touch(record.id);
    if (slot.record) this.#keys.splice(keyBound(this.#keys, slot.record, true), 1);
    this.#keys.splice(keyBound(this.#keys, record, true), 0, { createdAt: record.createdAt, id: record.id });
    slot.record = record;
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
    this.#agentState.delete(id, undefined);
    const slot = this.#slots.get(id);
    if (!slot) return;
    this.#slots.delete(id);
    if (id === this.#lastTouched) this.#lastTouched = undefined;
    for (const event of slot.events.live()) this.#byId.delete(event.id);
    if (slot.record) this.#keys.splice(keyBound(this.#keys, slot.record, true), 1);
  }
}
