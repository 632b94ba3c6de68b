import type {
  ListEventsRequest,
  ListPage,
  ListPageRequest,
  SessionEvent,
  SessionPersistCapabilities,
  SessionPersistDriver,
  SessionRecord,
} from "../../src/persist/types.js";

// A store whose every call takes a random few milliseconds, as a database over the network
// does: the input is taken at call time (as real drivers serialize it before their first
// await), then the call waits, is applied to the wrapped driver, and waits again before it
// resolves. Concurrent calls therefore complete in any order. Code that resolves before the
// store has written (a missing await) passes against an in-process store, which writes
// during the call itself; against this one it does not.

/** A pseudo-random number generator in [0, 1), from a seed, so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** Options of {@link DelayedDriver}. */
export interface DelayedDriverOptions {
  /** The longest wait before and after each call, in ms (default 5). */
  maxDelayMs?: number;
  /** Source of randomness (default `Math.random`). */
  random?: () => number;
}

/** Wraps a driver with every capability; each call is delayed as described above. */
export class DelayedDriver implements SessionPersistDriver, SessionPersistCapabilities {
  /** Writes applied to the wrapped driver so far, in the order they were applied; `call` numbers them in the order they were made. */
  readonly applied: { call: number; sessionId: string; eventIds: string[] }[] = [];
  /** Ids of the events the wrapped driver has stored (written when a write is applied, before it resolves). */
  readonly storedIds = new Set<string>();
  #calls = 0;
  /** Calls not yet resolved. */
  inFlight = 0;
  readonly #inner: SessionPersistDriver & SessionPersistCapabilities;
  readonly #maxDelayMs: number;
  readonly #random: () => number;

  constructor(inner: SessionPersistDriver & SessionPersistCapabilities, options: DelayedDriverOptions = {}) {
    this.#inner = inner;
    this.#maxDelayMs = options.maxDelayMs ?? 5;
    this.#random = options.random ?? Math.random;
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    return this.#call(() => this.#inner.getSession(id));
  }

  listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>> {
    const copy = structuredClone(request);
    return this.#call(() => this.#inner.listSessions(copy));
  }

  updateSession(session: SessionRecord): Promise<void> {
    const copy = structuredClone(session);
    return this.#call(() => this.#inner.updateSession(copy));
  }

  insertSession(session: SessionRecord): Promise<boolean> {
    const copy = structuredClone(session);
    return this.#call(() => this.#inner.insertSession(copy));
  }

  listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    const copy = structuredClone(request);
    return this.#call(() => this.#inner.listEvents(copy));
  }

  insertEvent(sessionId: string, event: SessionEvent): Promise<void> {
    return this.insertEvents(sessionId, [event]);
  }

  insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<void> {
    const copy = structuredClone(events);
    const call = ++this.#calls;
    return this.#call(async () => {
      await this.#inner.insertEvents(sessionId, copy);
      this.applied.push({ call, sessionId, eventIds: copy.map((e) => e.id) });
      for (const event of copy) this.storedIds.add(event.id);
    });
  }

  listLatestEvents(sessionId: string, limit: number): Promise<SessionEvent[]> {
    return this.#call(() => this.#inner.listLatestEvents(sessionId, limit));
  }

  deleteSession(id: string): Promise<void> {
    return this.#call(() => this.#inner.deleteSession(id));
  }

  close(): Promise<void> {
    return this.#call(() => this.#inner.close());
  }

  /** Wait, apply, wait: each wait a random 0..maxDelayMs, so concurrent calls finish in any order. */
  async #call<T>(apply: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      await this.#sleep();
      const result = await apply();
      await this.#sleep();
      return result;
    } finally {
      this.inFlight--;
    }
  }

  #sleep(): Promise<void> {
    const ms = Math.floor(this.#random() * (this.#maxDelayMs + 1));
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
