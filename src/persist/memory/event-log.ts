import type { SessionEvent } from "../types.js";

const NONE: readonly SessionEvent[] = Object.freeze([]);

/**
 * One session's events for the in-memory driver: sorted by `eventIndex`, capped at `max`
 * (the lowest indexes go first). Dropping is amortised: the live events are
 * `items[head..]`, and the dead prefix is cut off in one splice once it is as long as the
 * cap, so a full log costs O(1) per append instead of a shift of the whole array.
 */
export class EventLog {
  readonly #max: number;
  #items: SessionEvent[] = [];
  #head = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** Number of live events. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** The live event at `eventIndex`, if any. */
  at(eventIndex: number): SessionEvent | undefined {
    const event = this.#items[this.#lowerBound(eventIndex)];
    return event?.eventIndex === eventIndex ? event : undefined;
  }

  /**
   * Insert an event whose `eventIndex` is free (the caller checked), keeping order.
   * Returns the events dropped to stay within the cap (possibly the new one itself, when it
   * is older than everything kept).
   */
  insert(event: SessionEvent): readonly SessionEvent[] {
    const items = this.#items;
    const last = items[items.length - 1];
    if (items.length === this.#head || (last && last.eventIndex < event.eventIndex)) items.push(event);
    else items.splice(this.#lowerBound(event.eventIndex), 0, event);
    const excess = this.size - this.#max;
    if (excess <= 0) return NONE;
    const dropped = items.slice(this.#head, this.#head + excess);
    this.#head += excess;
    if (this.#head >= this.#max) {
      items.splice(0, this.#head);
      this.#head = 0;
    }
    return dropped;
  }

  /** Up to `limit` events with `eventIndex > afterIndex`, and whether more follow. */
  after(afterIndex: number, limit: number): { items: SessionEvent[]; more: boolean } {
    const start = this.#upperBound(afterIndex);
    const end = start + limit;
    return { items: this.#items.slice(start, end), more: end < this.#items.length };
  }

  /** The last `n` events, ascending. */
  latest(n: number): SessionEvent[] {
    return this.#items.slice(Math.max(this.#head, this.#items.length - n));
  }

  /** Remove and return every live event with `eventIndex < index`, ascending. */
  dropBefore(index: number): SessionEvent[] {
    const end = this.#lowerBound(index);
    const dropped = this.#items.slice(this.#head, end);
    this.#items.splice(0, end);
    this.#head = 0;
    return dropped;
  }

  /** Every live event, ascending. */
  live(): SessionEvent[] {
    return this.#items.slice(this.#head);
  }

  /** First live position whose eventIndex is at least `index`. */
  #lowerBound(index: number): number {
    let lo = this.#head;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid]!.eventIndex < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First live position whose eventIndex is greater than `index`. */
  #upperBound(index: number): number {
    let lo = this.#head;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid]!.eventIndex <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
