import { mkdirSync } from "node:fs";
import { JsonlFile } from "./jsonl-file.js";
import { bucketOf, type StorePaths } from "./names.js";

/** Where the registry says an event id is stored. */
export interface RegistryEntry {
  sessionId: string;
  eventIndex: number;
}

/**
 * The event-id registry: event ids are unique across sessions, and this is how a write
 * finds an id in another session without reading it. 16 append-only buckets of
 * `[id, sessionId, eventIndex]` lines, by a hash of the id, loaded by a process only when it
 * writes an id of that bucket. An entry is a claim written before the event itself: the
 * backend checks it against the session it names before trusting it, so an entry left by a
 * crashed write or a deleted session is simply overruled (the last line for an id wins).
 */
export class EventIdRegistry {
  readonly #buckets = new Map<string, { file: JsonlFile; ids: Map<string, RegistryEntry> }>();
  #dirMade = false;

  /** @param paths the store's paths. */
  constructor(private readonly paths: StorePaths) {}

  /** Writer only, under the store's lock: the entry of each id, caught up with every process's writes (each bucket once). */
  lookup(ids: readonly string[]): (RegistryEntry | undefined)[] {
    const refreshed = new Set<string>();
    return ids.map((id) => {
      const name = bucketOf(id);
      const bucket = this.#bucket(name);
      if (!refreshed.has(name)) bucket.file.refresh();
      refreshed.add(name);
      return bucket.ids.get(id);
    });
  }

  /**
   * Writer only, under the store's lock, after {@link EventIdRegistry.lookup} of the same ids:
   * claim the ids of `sessionId`'s events (one write per bucket).
   */
  claim(sessionId: string, events: readonly { id: string; eventIndex: number }[]): void {
    const byBucket = new Map<string, unknown[]>();
    for (const { id, eventIndex } of events) {
      const name = bucketOf(id);
      byBucket.set(name, [...(byBucket.get(name) ?? []), [id, sessionId, eventIndex]]);
    }
    if (!this.#dirMade) mkdirSync(this.paths.eventIds, { recursive: true });
    this.#dirMade = true;
    for (const [name, lines] of byBucket) this.#bucket(name).file.append(lines, true);
  }

  /** Forget every bucket (after the registry was rebuilt), closing their handles. */
  clear(): void {
    for (const bucket of this.#buckets.values()) bucket.file.close();
    this.#buckets.clear();
    this.#dirMade = false;
  }

  #bucket(name: string) {
    let bucket = this.#buckets.get(name);
    if (bucket === undefined) {
      const ids = new Map<string, RegistryEntry>();
      const file = new JsonlFile(
        this.paths.bucket(name),
        (line) => {
          const [id, sessionId, eventIndex] = line as [string, string, number];
          ids.set(id, { sessionId, eventIndex });
        },
        () => ids.clear(),
      );
      bucket = { file, ids };
      this.#buckets.set(name, bucket);
    }
    return bucket;
  }
}
