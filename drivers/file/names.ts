import { createHash } from "node:crypto";
import { join } from "node:path";

// Where everything lives inside the store's directory, and the file name of a session.
//
//   <directory>/store.json                 format version and the boot the derived files match
//   <directory>/lock                        the write lock (see lock.ts)
//   <directory>/sessions.jsonl              listing index: one line per record write or delete
//   <directory>/event-ids/<x>.jsonl         event-id registry, 16 buckets by a hash of the id
//   <directory>/sessions/<name>/record.json the record (replaced by temp file + rename)
//   <directory>/sessions/<name>/events.jsonl the events, append-only, one JSON line each
//   <directory>/sessions/<name>/events.idx  page index: 24 bytes per event (index, offset, length)
//   <directory>/trash/                      deleted sessions on their way out
//
// Session ids become names made of [a-z0-9_-] and `~` escapes only, behind an `s-` prefix:
// no `/`, `..`, NUL, uppercase (case-insensitive file systems) or reserved device name
// (CON, NUL, ...) can appear, and a long id is cut and completed by a hash of the whole id.

/** Longest file name this driver makes for a session (well under the usual 255-byte limit). */
const MAX_NAME = 120;

/**
 * A file name for any string: `kind` (a few letters and `-`) then the text with every byte
 * outside [a-z0-9_-] written `~xx`; a text too long for that is cut and completed with
 * `~~` and a hash of the whole text, so names stay distinct and under {@link MAX_NAME}.
 */
export function safeName(kind: string, text: string): string {
  let encoded = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    encoded += /[a-z0-9_-]/.test(c) ? c : `~${byte.toString(16).padStart(2, "0")}`;
  }
  if (encoded.length + kind.length <= MAX_NAME) return `${kind}${encoded}`;
  const hash = createHash("sha256").update(text, "utf8").digest("hex").slice(0, 40);
  let head = encoded.slice(0, MAX_NAME - kind.length - 2 - hash.length);
  const cut = head.lastIndexOf("~");
  if (cut > head.length - 3) head = head.slice(0, cut); // never cut an escape in two
  return `${kind}${head}~~${hash}`;
}

/** The file name of a session of the persistence driver: {@link safeName} with `s-`. */
export function sessionName(sessionId: string): string {
  return safeName("s-", sessionId);
}

/**
 * The registry bucket of an event id: one hex digit of FNV-1a over its UTF-16 code units. 16
 * buckets: a batch of 500 events writes 16 files at most, and a process that writes loads a
 * sixteenth of the registry per bucket it touches.
 */
export function bucketOf(eventId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) hash = Math.imul(hash ^ eventId.charCodeAt(i), 0x01000193);
  return ((hash >>> 0) & 0xf).toString(16);
}

/** Every path of one store. */
export class StorePaths {
  /** `store.json`. */
  readonly meta: string;
  /** The write lock. */
  readonly lock: string;
  /** The listing index. */
  readonly sessionsIndex: string;
  /** The directory of the registry buckets. */
  readonly eventIds: string;
  /** The directory of the session directories. */
  readonly sessions: string;
  /** Deleted sessions on their way out. */
  readonly trash: string;

  /** @param root the store's directory. */
  constructor(readonly root: string) {
    this.meta = join(root, "store.json");
    this.lock = join(root, "lock");
    this.sessionsIndex = join(root, "sessions.jsonl");
    this.eventIds = join(root, "event-ids");
    this.sessions = join(root, "sessions");
    this.trash = join(root, "trash");
  }

  /** One registry bucket. */
  bucket(bucket: string): string {
    return join(this.eventIds, `${bucket}.jsonl`);
  }

  /** A session's directory. */
  sessionDir(sessionId: string): string {
    return join(this.sessions, sessionName(sessionId));
  }
}

/** The files inside a session's directory. */
export const SESSION_FILES = { record: "record.json", log: "events.jsonl", index: "events.idx" } as const;
