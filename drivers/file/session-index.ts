import { compareSessionKeys } from "../../src/persist/cursor.js";
import type { SessionKey } from "../../src/persist/backend.js";
import { JsonlFile } from "./jsonl-file.js";

/**
 * The listing index (`sessions.jsonl`): a line `[createdAt, id]` when a record is written
 * with a new `createdAt`, `[null, id]` when it is deleted. Every process keeps the current
 * keys in memory, caught up from the file's size, and sorts them by `(createdAt, id)` (ids by
 * code point) when a listing needs them; a page is then a binary search. The line is written
 * before the record file, so a crash between the two leaves an entry without its record,
 * which listings skip.
 */
export class SessionIndex {
  readonly #createdAt = new Map<string, number>();
  readonly #file: JsonlFile;
  #sorted: SessionKey[] | undefined;

  /** @param path the index file. */
  constructor(path: string) {
    this.#file = new JsonlFile(
      path,
      (line) => {
        const [createdAt, id] = line as [number | null, string];
        if (createdAt === null) this.#createdAt.delete(id);
        else this.#createdAt.set(id, createdAt);
        this.#sorted = undefined;
      },
      () => {
        this.#createdAt.clear();
        this.#sorted = undefined;
      },
    );
  }

  /** The `createdAt` the index holds for `id`, caught up. */
  createdAtOf(id: string): number | undefined {
    this.#file.refresh();
    return this.#createdAt.get(id);
  }

  /** Keys strictly after `after` (from the first when `undefined`), in listing order, lazily. */
  *after(after: SessionKey | undefined): Generator<SessionKey> {
    this.#file.refresh();
    const sorted = (this.#sorted ??= [...this.#createdAt].map(([id, createdAt]) => ({ createdAt, id })).sort(compareSessionKeys));
    let lo = 0;
    if (after !== undefined) {
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareSessionKeys(sorted[mid] as SessionKey, after) <= 0) lo = mid + 1;
        else hi = mid;
      }
    }
    for (let i = lo; i < sorted.length; i++) yield sorted[i] as SessionKey;
  }

  /** Writer only, under the store's lock: record that `id` is listed at `createdAt`. */
  put(id: string, createdAt: number): void {
    if (this.createdAtOf(id) !== createdAt) this.#file.append([[createdAt, id]], true);
  }

  /** Close the file's handle. */
  close(): void {
    this.#file.close();
  }

  /** Writer only, under the store's lock: record that `id` is gone. */
  remove(id: string): void {
    if (this.createdAtOf(id) !== undefined) this.#file.append([[null, id]], true);
  }
}
