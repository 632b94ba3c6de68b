import type Database from "better-sqlite3";
import type { SessionStoreBackend } from "../../../src/session-store/backend.js";
import { entriesToStore } from "../../../src/session-store/entries.js";
import { foldSummaryJson, summaryEntry } from "../../../src/session-store/summary.js";
import type {
  PreparedEntry,
  SessionListing,
  SessionStoreEntry,
  SessionSummaryEntry,
  SummaryFold,
  TranscriptKey,
} from "../../../src/session-store/types.js";
import { openAndSetUp } from "../connection.js";
import type { ResolvedOptions } from "../options.js";
import type { SessionStoreNames } from "./names.js";
import { migrateSessionStore } from "./schema.js";
import { prepareSessionStoreStatements, type SessionStoreStatements, type TranscriptRow } from "./statements.js";

/**
 * The session store on SQLite through better-sqlite3: every write is one `BEGIN IMMEDIATE`
 * transaction, which holds the database's write lock, so the read of the transcript row, the
 * inserts, the fold and the row's update cannot interleave with another writer, in this
 * process or another one sharing the file.
 */
export class SQLiteSessionStoreBackend implements SessionStoreBackend {
  readonly #db: Database.Database;
  readonly #owned: boolean;
  readonly #s: SessionStoreStatements;
  readonly #append: (key: TranscriptKey, entries: readonly PreparedEntry[], summary: SummaryFold | undefined) => void;
  readonly #deleteSession: (projectKey: string, sessionId: string) => void;
  readonly #deleteTranscript: (key: TranscriptKey) => void;
  readonly #prune: (before: number, projectKey: string | undefined) => number;

  /**
   * Open the database (or adopt the one given), create or migrate the store's tables, prepare every statement.
   * @throws SQLiteSchemaVersionError when the tables were created by a newer release (an owned file is closed again).
   */
  constructor(options: ResolvedOptions, names: SessionStoreNames) {
    const { db, owned, prepared: s } = openAndSetUp(options, (db) => {
      migrateSessionStore(db, names);
      return prepareSessionStoreStatements(db, names);
    });
    this.#db = db;
    this.#owned = owned;
    this.#s = s;
    const append = db.transaction((key: TranscriptKey, entries: readonly PreparedEntry[], summary: SummaryFold | undefined) =>
      this.#appendLocked(key, entries, summary),
    );
    this.#append = (key, entries, summary) => append.immediate(key, entries, summary);
    const deleteSession = db.transaction((projectKey: string, sessionId: string) => {
      s.deleteSessionEntries.run(projectKey, sessionId);
      s.deleteSessionTranscripts.run(projectKey, sessionId);
    });
    this.#deleteSession = (projectKey, sessionId) => deleteSession.immediate(projectKey, sessionId);
    const deleteTranscript = db.transaction((key: TranscriptKey) => {
      const row = s.transcript.get(key.projectKey, key.sessionId, key.subpath);
      if (row === undefined) return;
      s.deleteEntries.run(row.id);
      s.deleteTranscript.run(row.id);
    });
    this.#deleteTranscript = (key) => deleteTranscript.immediate(key);
    const prune = db.transaction((before: number, projectKey: string | undefined) => {
      const stale = projectKey === undefined ? s.staleSessions.all(before) : s.staleProjectSessions.all(projectKey, before);
      for (const session of stale) deleteSession(session.project_key, session.session_id);
      return stale.length;
    });
    this.#prune = (before, projectKey) => prune.immediate(before, projectKey);
  }

  /** One `BEGIN IMMEDIATE` transaction (see the class). */
  append(key: TranscriptKey, entries: readonly PreparedEntry[], summary: SummaryFold | undefined): void {
    this.#append(key, entries, summary);
  }

  /** The transcript's row, then its entries along the primary key, parsed as SQLite steps through them. */
  load(key: TranscriptKey): SessionStoreEntry[] | null {
    const row = this.#s.transcript.get(key.projectKey, key.sessionId, key.subpath);
    if (row === undefined) return null;
    const entries: SessionStoreEntry[] = [];
    for (const json of this.#s.entries.iterate(row.id)) entries.push(JSON.parse(json) as SessionStoreEntry);
    return entries;
  }

  /** A read of the partial index of main transcripts. */
  listSessions(projectKey: string): SessionListing[] {
    return this.#s.sessions.all(projectKey);
  }

  /** The same index, with each main row's summary. */
  listSessionSummaries(projectKey: string): SessionSummaryEntry[] {
    return this.#s.summaries.all(projectKey).map((row) => summaryEntry(row.session_id, row.mtime, row.summary));
  }

  /** Every transcript of the session and their entries, in one transaction. */
  deleteSession(projectKey: string, sessionId: string): void {
    this.#deleteSession(projectKey, sessionId);
  }

  /** One transcript and its entries, in one transaction. */
  deleteTranscript(key: TranscriptKey): void {
    this.#deleteTranscript(key);
  }

  /** A range read of the unique key index. */
  listSubkeys(projectKey: string, sessionId: string): string[] {
    return this.#s.subkeys.all(projectKey, sessionId);
  }

  /** The stale sessions found and deleted in one transaction. */
  pruneSessions(before: number, projectKey: string | undefined): number {
    return this.#prune(before, projectKey);
  }

  /** Close the file, unless it was handed in through `database`. */
  close(): void {
    if (this.#owned) this.#db.close();
  }

  /**
   * The entries of a batch to store in an existing transcript (see `entriesToStore`). The
   * usual batch is new, and its first uuid tells so in one lookup: its entries then all go to
   * the inserts, which skip any later uuid that is stored. Otherwise every uuid is looked up.
   */
  #toStore(transcriptId: number, entries: readonly PreparedEntry[]): readonly PreparedEntry[] {
    const first = entries.find((e) => e.uuid !== null);
    const isStored = (uuid: string) => this.#s.storedUuid.get(transcriptId, uuid) !== undefined;
    if (first === undefined || !isStored(first.uuid as string)) return entries;
    return entriesToStore(entries, isStored);
  }

  /** The body of an append, under the write lock. */
  #appendLocked(key: TranscriptKey, entries: readonly PreparedEntry[], summary: SummaryFold | undefined): void {
    const s = this.#s;
    const row: TranscriptRow | undefined = s.transcript.get(key.projectKey, key.sessionId, key.subpath);
    const now = Date.now();
    if (row === undefined) {
      // A new transcript: nothing can be stored under it yet, so every entry is.
      const folded = summary === undefined ? null : foldSummaryJson(summary, null, entries, now);
      const id = Number(s.insertTranscript.run(key.projectKey, key.sessionId, key.subpath, now, entries.length, folded).lastInsertRowid);
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i] as PreparedEntry;
        s.insertEntry.run(id, i + 1, entry.uuid, entry.json);
      }
      return;
    }
    let seq = row.last_seq;
    const stored: PreparedEntry[] = [];
    for (const entry of this.#toStore(row.id, entries)) {
      if (s.insertEntry.run(row.id, seq + 1, entry.uuid, entry.json).changes === 1) {
        seq++;
        stored.push(entry);
      }
    }
    if (stored.length === 0) return; // a replay: nothing changes
    const mtime = Math.max(now, row.mtime + 1);
    const folded = summary === undefined ? row.summary : foldSummaryJson(summary, row.summary, stored, mtime);
    s.updateTranscript.run(seq, mtime, folded, row.id);
  }
}
