// What this process last wrote (or read under the row's lock) for a session's main
// transcript: the row's `(id, last_seq)` and the summary data they carry, so that the next
// append can fold onto that summary without reading and parsing it again. A store checks the
// row still has that `(id, last_seq)` before trusting it (PostgreSQL: in the conditional
// statement itself; SQLite: under the write lock).

/** The last known state of one session's main transcript row. */
export interface KnownState {
  /** The row's id (an identity, never reused). */
  readonly id: string;
  /** Its `last_seq` as of that state. */
  readonly lastSeq: number;
  /** The summary data it holds. */
  readonly data: Record<string, unknown>;
}

/** The most recently used states, at most `capacity` of them. */
export class KnownStates {
  readonly #states = new Map<string, KnownState>();

  /** @param capacity how many sessions to remember (the least recently used are forgotten). */
  constructor(readonly capacity = 1024) {}

  /** The state of a key, marking it recently used. */
  get(key: string): KnownState | undefined {
    const state = this.#states.get(key);
    if (state !== undefined) {
      this.#states.delete(key);
      this.#states.set(key, state);
    }
    return state;
  }

  /** Remember a key's state. */
  set(key: string, state: KnownState): void {
    this.#states.delete(key);
    this.#states.set(key, state);
    if (this.#states.size > this.capacity) this.#states.delete(this.#states.keys().next().value as string);
  }

  /** Forget a key. */
  delete(key: string): void {
    this.#states.delete(key);
  }
}
