import type { MaybePromise } from "../persist/backend.js";
import type { PreparedEntry, SessionListing, SessionStoreEntry, SessionSummaryEntry, SummaryFold, TranscriptKey } from "./types.js";

// The storage primitives a SessionStore backend (SQLite, PostgreSQL) plugs into
// `BackedSessionStore`, which validates keys and entries, prepares batches, keeps each key's
// calls in call order, loads the summary fold and owns the closed state. Everything a
// backend receives is valid.

/** What one backend stores: transcripts of entries keyed by (project, session, subpath), and a summary per session. */
export interface SessionStoreBackend {
  /**
   * Store `entries` (non-empty, their `uuid`s distinct) after those stored under `key`, in
   * order, in one atomic step, leaving out what `entriesToStore` leaves out given the `uuid`s
   * stored under `key` (decided under the transcript's lock, so racing writers agree); when
   * something was stored, stamp the transcript's mtime (integer epoch ms, increasing per
   * transcript). With `summary` (the main transcript only), fold exactly the entries stored
   * into the session's summary in the same step, serialized against every other writer of the
   * session, in any process.
   */
  append(key: TranscriptKey, entries: readonly PreparedEntry[], summary: SummaryFold | undefined): MaybePromise<void>;
  /** Every entry stored under `key`, in order, as fresh objects; `null` when nothing is. */
  load(key: TranscriptKey): MaybePromise<SessionStoreEntry[] | null>;
  /** The project's sessions that have a main transcript, with its mtime; at the cost of the answer. */
  listSessions(projectKey: string): MaybePromise<SessionListing[]>;
  /** The summaries of the project's sessions (mtime that of the main transcript); at the cost of the answer. */
  listSessionSummaries(projectKey: string): MaybePromise<SessionSummaryEntry[]>;
  /** A session's main transcript, summary and every subpath; nothing for an unknown session. */
  deleteSession(projectKey: string, sessionId: string): MaybePromise<void>;
  /** One subpath transcript (`key.subpath` is not `""`), nothing else. */
  deleteTranscript(key: TranscriptKey): MaybePromise<void>;
  /** The subpaths stored under a session, the main transcript left out. */
  listSubkeys(projectKey: string, sessionId: string): MaybePromise<string[]>;
  /**
   * Delete every session (all its transcripts and its summary) none of whose transcripts
   * stored anything at or after `before` (epoch ms), in one project or in all; resolves to
   * the number of sessions deleted.
   */
  pruneSessions(before: number, projectKey: string | undefined): MaybePromise<number>;
  /** Release connections; called once, after every running call settled. */
  close(): MaybePromise<void>;
}
