import type { EventClash } from "../../src/persist/backend.js";
import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { eventBytes, Ledger, type EventBounds, type EventStore } from "./event-store.js";
import { eventFromState, getOwn, putOwn, type RivetPersistData } from "./state.js";
import { toState } from "./state-keys.js";

// Events in the actor state, as the reference driver keeps them: `events[sessionId]` is an
// array sorted by `eventIndex`. Every save of the state encodes all of it again, which is why
// the caps default lower here than in SQLite (see docs/drivers/rivet.md for the figures).

/** First position in `log` whose eventIndex is at least `index` (above it when `strict`). */
function bound(log: readonly SessionEvent[], index: number, strict: boolean): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = log[mid]!.eventIndex;
    if (at < index || (strict && at === index)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Events in `data.events`, with an in-memory index of event ids (they are unique across sessions). */
export class StateEventStore implements EventStore {
  readonly kind = "state";
  readonly ledger = new Ledger();
  readonly #data: RivetPersistData;
  /** Event id → its session, for every stored event. */
  readonly #ids = new Map<string, string>();

  constructor(data: RivetPersistData) {
    this.#data = data;
  }

  async open(): Promise<void> {
    for (const [sessionId, log] of Object.entries(this.#data.events)) {
      let bytes = 0;
      for (const event of log) {
        this.#ids.set(event.id, sessionId);
        bytes += eventBytes(eventFromState(event));
      }
      if (log.length > 0) this.ledger.add(sessionId, log.length, bytes);
    }
  }

  async scan(sessionId: string, afterIndex: number, limit: number): Promise<SessionEvent[]> {
    const log = this.#log(sessionId);
    const start = bound(log, afterIndex, true);
    return log.slice(start, start + limit).map(eventFromState);
  }

  async tail(sessionId: string, limit: number): Promise<SessionEvent[]> {
    const log = this.#log(sessionId);
    return log.slice(Math.max(0, log.length - limit)).map(eventFromState);
  }

  async insert(sessionId: string, events: readonly SessionEvent[], sizes: readonly number[]): Promise<EventClash[] | undefined> {
    const log = this.#log(sessionId);
    const clashes: EventClash[] = [];
    for (const event of events) {
      const holder = this.#ids.get(event.id);
      if (holder !== undefined) {
        const stored = this.#log(holder).find((e) => e.id === event.id)!;
        clashes.push({ event, storedWithId: eventFromState(stored) });
      } else if (log[bound(log, event.eventIndex, false)]?.eventIndex === event.eventIndex) {
        clashes.push({ event, indexTaken: true });
      }
    }
    if (clashes.length > 0) return clashes;
    // Copied before anything is stored, so a payload that cannot be copied leaves nothing behind.
    const copies = events.map((event, i) => toState(event, "session event", events.length === 1 ? "event" : `events[${i}]`));
    const target = log.length === 0 ? [] : log;
    for (const copy of copies) {
      const last = target[target.length - 1];
      if (last === undefined || last.eventIndex < copy.eventIndex) target.push(copy);
      else target.splice(bound(target, copy.eventIndex, false), 0, copy);
      this.#ids.set(copy.id, sessionId);
    }
    if (target !== log) putOwn(this.#data.events, sessionId, target);
    this.ledger.add(sessionId, events.length, sizes.reduce((sum, n) => sum + n, 0));
    return undefined;
  }

  async dropOldest(sessionId: string, count: number): Promise<number> {
    const log = this.#log(sessionId);
    const dropped = log.splice(0, Math.min(count, log.length));
    this.#forget(sessionId, dropped);
    return dropped.length;
  }

  async dropOldestBytes(sessionId: string, bytes: number): Promise<number> {
    const log = this.#log(sessionId);
    let freed = 0;
    let count = 0;
    while (count < log.length && freed < bytes) freed += eventBytes(eventFromState(log[count++]!));
    return this.dropOldest(sessionId, count);
  }

  async deleteSession(sessionId: string): Promise<void> {
    const log = this.#log(sessionId);
    for (const event of log) this.#ids.delete(event.id);
    delete this.#data.events[sessionId];
    this.ledger.remove(sessionId);
  }

  async deleteBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined, markerBytes: number): Promise<number> {
    const log = this.#log(sessionId);
    const count = bound(log, beforeIndex, false);
    if (count === 0) return 0;
    // Checked and copied before anything changes: a refused or uncopyable marker leaves the log as it was.
    let copy: SessionEvent | undefined;
    if (marker !== undefined) {
      const holder = this.#ids.get(marker.id);
      const freed = holder === sessionId && log.slice(0, count).some((event) => event.id === marker.id);
      if (holder !== undefined && !freed) throw new EventConflictError("id", sessionId, marker.id, marker.eventIndex);
      copy = toState(marker, "session event", "marker");
    }
    const dropped = log.splice(0, count);
    if (copy !== undefined) log.unshift(copy);
    this.#forget(sessionId, dropped);
    if (copy !== undefined) {
      this.#ids.set(copy.id, sessionId);
      this.ledger.add(sessionId, 1, markerBytes);
    }
    return count;
  }

  async bounds(sessionIds: readonly string[]): Promise<Map<string, EventBounds>> {
    const found = new Map<string, EventBounds>();
    for (const id of sessionIds) {
      const log = this.#log(id);
      const last = log[log.length - 1];
      if (last !== undefined) found.set(id, { first: log[0]!.eventIndex, last: last.eventIndex, lastAt: last.createdAt });
    }
    return found;
  }

  #forget(sessionId: string, dropped: readonly SessionEvent[]): void {
    let bytes = 0;
    for (const event of dropped) {
      this.#ids.delete(event.id);
      bytes += eventBytes(eventFromState(event));
    }
    this.ledger.add(sessionId, -dropped.length, -bytes);
    if (this.#log(sessionId).length === 0) delete this.#data.events[sessionId];
  }

  #log(sessionId: string): SessionEvent[] {
    return getOwn(this.#data.events, sessionId) ?? [];
  }
}
