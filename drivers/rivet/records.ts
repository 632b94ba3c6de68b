import type { SessionKey } from "../../src/persist/backend.js";
import { compareSessionKeys } from "../../src/persist/cursor.js";
import type { SessionRecord } from "../../src/persist/types.js";
import { getOwn, putOwn, recordFromState, recordToState, type RivetPersistData } from "./state.js";

/** First position in `keys` whose key sorts after `key` (at or after it when `inclusive`). */
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
 * The session records in `data.sessions` (in the actor state: the records themselves when
 * events are in the state, a mirror of the database's when they are in SQLite),
 * with their keys kept sorted in memory so a listing page is a binary search and a slice.
 * Records are stored and handed out as copies, their keys escaped in the state (state-keys.ts).
 */
export class StateRecords {
  readonly #data: RivetPersistData;
  /** Keys of every record, in listing order; built on first use. */
  #keys: SessionKey[] | undefined;

  constructor(data: RivetPersistData) {
    this.#data = data;
  }

  /** Whether a record with this id is stored. */
  has(id: string): boolean {
    return getOwn(this.#data.sessions, id) !== undefined;
  }

  /** A copy of the record, or `undefined`. */
  read(id: string): SessionRecord | undefined {
    const record = getOwn(this.#data.sessions, id);
    return record && recordFromState(record);
  }

  /** The listing key of a stored record. */
  keyOf(id: string): SessionKey | undefined {
    const record = getOwn(this.#data.sessions, id);
    return record && { createdAt: record.createdAt, id };
  }

  /** Store a copy in place of any record with its id. */
  write(record: SessionRecord): void {
    const copy = recordToState(record);
    const keys = this.#sorted();
    const old = getOwn(this.#data.sessions, copy.id);
    if (old) keys.splice(keyBound(keys, { createdAt: old.createdAt, id: copy.id }, true), 1);
    keys.splice(keyBound(keys, copy, true), 0, { createdAt: copy.createdAt, id: copy.id });
    putOwn(this.#data.sessions, copy.id, copy);
  }

  /** Up to `limit` copies after `after`, in listing order. */
  scan(after: SessionKey | undefined, limit: number): SessionRecord[] {
    const keys = this.#sorted();
    const start = after === undefined ? 0 : keyBound(keys, after, false);
    return keys.slice(start, start + limit).map((key) => recordFromState(getOwn(this.#data.sessions, key.id)!));
  }

  /** Remove the record `id`, if any. */
  delete(id: string): void {
    const old = getOwn(this.#data.sessions, id);
    if (!old) return;
    const keys = this.#sorted();
    keys.splice(keyBound(keys, { createdAt: old.createdAt, id }, true), 1);
    delete this.#data.sessions[id];
  }

  /** Make `records` the whole content (the mirror refreshed from the database). */
  replaceAll(records: readonly SessionRecord[]): void {
    for (const id of Object.keys(this.#data.sessions)) delete this.#data.sessions[id];
    for (const record of records) putOwn(this.#data.sessions, record.id, recordToState(record));
    this.#keys = undefined;
  }

  /** Every record key in listing order (oldest first); the caller must not change it. */
  keys(): readonly SessionKey[] {
    return this.#sorted();
  }

  #sorted(): SessionKey[] {
    this.#keys ??= Object.values(this.#data.sessions)
      .map((record) => ({ createdAt: record.createdAt, id: record.id }))
      .sort(compareSessionKeys);
    return this.#keys;
  }
}
