import type { EventClash } from "../../src/persist/backend.js";
import type { SessionEvent } from "../../src/persist/types.js";

/** What one session's stored events weigh. */
export interface SessionUsage {
  /** Number of events stored. */
  events: number;
  /** Sum of their sizes (UTF-8 bytes of each event's JSON). */
  bytes: number;
}

/** The size the caps count for an event: the UTF-8 length of its JSON. */
export function eventBytes(event: SessionEvent): number {
  return utf8.encode(JSON.stringify(event)).byteLength;
}
const utf8 = new TextEncoder();

/**
 * Per-session usage of an event store, kept in memory (rebuilt when the store opens) so the
 * caps are checked without reading the events.
 */
export class Ledger {
  readonly #sessions = new Map<string, SessionUsage>();
  #bytes = 0;

  /** Total bytes of every stored event. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The usage of one session (zero when it has no events). */
  of(sessionId: string): SessionUsage {
    return this.#sessions.get(sessionId) ?? { events: 0, bytes: 0 };
  }

  /** Ids of the sessions that have events. */
  sessionIds(): IterableIterator<string> {
    return this.#sessions.keys();
  }

  /** Count `events` more events of `bytes` bytes (negative to count them out). */
  add(sessionId: string, events: number, bytes: number): void {
    const usage = this.#sessions.get(sessionId) ?? { events: 0, bytes: 0 };
    usage.events += events;
    usage.bytes += bytes;
    this.#bytes += bytes;
    if (usage.events <= 0) this.#sessions.delete(sessionId);
    else this.#sessions.set(sessionId, usage);
  }

  /** Forget a session. */
  remove(sessionId: string): void {
    const usage = this.#sessions.get(sessionId);
    if (!usage) return;
    this.#bytes -= usage.bytes;
    this.#sessions.delete(sessionId);
  }
}

/**
 * Where events are stored: `c.state` (the reference layout) or the actor's SQLite database.
 * Everything it receives is valid (the kit checked it); results are fresh copies.
 */
export interface EventStore {
  /** `"state"` or `"sqlite"`. */
  readonly kind: "state" | "sqlite";
  /** Usage per session, current after {@link EventStore.open}. */
  readonly ledger: Ledger;
  /** Prepare the store (tables, indexes, usage); called once before anything else. */
  open(): Promise<void>;
  /** Up to `limit` events with `eventIndex > afterIndex`, ascending. */
  scan(sessionId: string, afterIndex: number, limit: number): Promise<SessionEvent[]>;
  /** The last `limit` events, ascending. */
  tail(sessionId: string, limit: number): Promise<SessionEvent[]>;
  /** Store every event of the batch or none; the clashes when a key is taken. `sizes[i]` is `eventBytes(events[i])`. */
  insert(sessionId: string, events: readonly SessionEvent[], sizes: readonly number[]): Promise<EventClash[] | undefined>;
  /** Drop the `count` lowest-indexed events of a session; the number of events dropped. */
  dropOldest(sessionId: string, count: number): Promise<number>;
  /** Drop the lowest-indexed events of a session until at least `bytes` bytes are freed; the number dropped. */
  dropOldestBytes(sessionId: string, bytes: number): Promise<number>;
  /** Drop every event of a session. */
  deleteSession(sessionId: string): Promise<void>;
  /**
   * Delete the events of a session with `eventIndex < beforeIndex` and, when some were deleted
   * and `marker` is given, store it (`markerBytes` its size) in the same atomic step; the number
   * deleted. Throws EventConflictError, changing nothing, when the marker's id is held by an
   * event the delete keeps (in any session).
   */
  deleteBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined, markerBytes: number): Promise<number>;
  /** The bounds of the events of each of `sessionIds` that has any (sessions without events are left out). */
  bounds(sessionIds: readonly string[]): Promise<Map<string, EventBounds>>;
}

/** The lowest and highest stored `eventIndex` of a session, and the `createdAt` of the last event. */
export interface EventBounds {
  /** The lowest stored `eventIndex`. */
  first: number;
  /** The highest stored `eventIndex`. */
  last: number;
  /** `createdAt` of the event at `last`. */
  lastAt: number;
}
