import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { readAt } from "./io.js";
import type { SessionMeta, TranscriptMeta } from "./store-meta-file.js";

/** Transcripts whose uuids a process keeps in memory. */
const MAX_CACHED_TRANSCRIPTS = 64;

/** The uuids of one transcript as far as this process has read it. */
export interface KnownUuids {
  /** The session's incarnation they belong to. */
  generation: string;
  /** Bytes of the file read. */
  size: number;
  /** The uuids stored in those bytes. */
  uuids: Set<string>;
}

/**
 * The uuids the session store's transcripts hold, as this process knows them: read once from
 * a transcript's file, then caught up from the size it last read up to the committed size, for
 * the transcripts used last. A session deleted and written again (a new generation in its
 * meta.json) or a transcript that shrank starts over.
 */
export class TranscriptUuids {
  readonly #known = new Map<string, KnownUuids>();

  /** Writer only, under the store's lock: the uuids of `subpath`'s transcript in the session directory `dir`, up to its committed size. */
  of(dir: string, meta: SessionMeta, subpath: string, transcript: TranscriptMeta): KnownUuids {
    const key = cacheKey(dir, subpath);
    let known = this.#known.get(key);
    this.#known.delete(key); // most recently used last
    if (known === undefined || known.generation !== meta.generation || known.size > transcript.size) {
      known = { generation: meta.generation, size: 0, uuids: new Set() };
    }
    if (transcript.size > known.size) {
      const text = readText(join(dir, transcript.file), known.size, transcript.size - known.size);
      for (let at = 0; at < text.length; ) {
        const end = text.indexOf("\n", at);
        const uuid = (JSON.parse(text.slice(at, end)) as { uuid?: unknown }).uuid;
        if (typeof uuid === "string") known.uuids.add(uuid);
        at = end + 1;
      }
      known.size = transcript.size;
    }
    this.#known.set(key, known);
    if (this.#known.size > MAX_CACHED_TRANSCRIPTS) this.#known.delete(this.#known.keys().next().value as string);
    return known;
  }

  /** Forget one transcript (its write failed, or it was deleted). */
  forget(dir: string, subpath: string): void {
    this.#known.delete(cacheKey(dir, subpath));
  }

  /** Forget every transcript of the session directory `dir`. */
  forgetSession(dir: string): void {
    const prefix = JSON.stringify([dir]).slice(0, -1);
    for (const key of [...this.#known.keys()]) if (key.startsWith(`${prefix},`)) this.#known.delete(key);
  }
}

function cacheKey(dir: string, subpath: string): string {
  return JSON.stringify([dir, subpath]);
}

/** `length` bytes of a file from `position`, as text. */
export function readText(path: string, position: number, length: number): string {
  const fd = openSync(path, "r");
  try {
    return readAt(fd, position, length).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
