import { readFileSync } from "node:fs";
import { join } from "node:path";
import { errno, writeFileAtomic, type FsyncPolicy } from "./io.js";
import { META_FILE } from "./store-paths.js";

// A session's meta.json: the commit point of every write to the session. A transcript holds
// exactly the first `size` bytes of its file (bytes after them are an append a crash cut
// short, cut by the next writer); the summary and mtimes change with the same rename.

/** One transcript as meta.json records it. */
export interface TranscriptMeta {
  /** Its file, inside the session's directory. */
  file: string;
  /** Committed bytes of the file (whole lines). */
  size: number;
  /** When it last stored an entry: integer epoch ms, increasing. */
  mtime: number;
}

/** What meta.json holds. */
export interface SessionMeta {
  /** Random per incarnation of the session (a session deleted and written again gets another). */
  generation: string;
  /** The project key, as given. */
  projectKey: string;
  /** The session id, as given. */
  sessionId: string;
  /** The transcripts, by subpath (`""`: the main transcript). */
  transcripts: Record<string, TranscriptMeta>;
  /** The session's summary data as JSON text, once the main transcript stored something. */
  summary: string | null;
}

/** The session's meta, or `undefined` when it has none (never written, or deleted). */
export function readSessionMeta(dir: string): SessionMeta | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, META_FILE), "utf8")) as SessionMeta;
  } catch (error) {
    if (errno(error) === "ENOENT" || errno(error) === "ENOTDIR") return undefined;
    throw error;
  }
}

/** Commit a session's meta (temp file, sync, rename, directory sync). */
export function writeSessionMeta(dir: string, meta: SessionMeta, policy: FsyncPolicy): void {
  writeFileAtomic(join(dir, META_FILE), JSON.stringify(meta), policy);
}

/** The newest mtime of any of the session's transcripts (0 for none). */
export function lastActivity(meta: SessionMeta): number {
  return Math.max(0, ...Object.values(meta.transcripts).map((t) => t.mtime));
}
