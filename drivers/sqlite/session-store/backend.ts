import type Database from "better-sqlite3";
import type { SessionStoreBackend } from "../../../src/session-store/backend.js";
import { transcriptKeyString } from "../../../src/session-store/keys.js";
import { KnownStates } from "../../../src/session-store/known-states.js";
import { foldSummaryData, summaryEntry } from "../../../src/session-store/summary.js";
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
import { uuidKey } from "./uuid-key.js";

/**
 * The session store on SQLite through better-sqlite3: every write is one `BEGIN IMMEDIATE`
 * transaction, which holds the database's write lock, so the read of the transcript row, the
 * inserts, the fold and the row's update cannot interleave with another writer, in this
 * process or another one sharing the file. The summary this process wrote last is kept
 * (`known-states.ts`) and folded onto while the row still has its `(id, last_seq)`.
 */
export class SQLiteSessionStoreBackend implements SessionStoreBackend {
  readonly #db: Database.Database;
  readonly #owned: boolean;
  readonly #s: SessionStoreStatements;
  readonly #known = new KnownStates();
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
      // Every append writes a random page of the uuid index: checkpointing the WAL every 4,000
      // pages (16 MB) rather than SQLite's 1,000 writes each such page back to the file less
      // often. Only on a connection the store opened: a database handed in keeps its settings.
      if (!db.memory && "filename" in options.source) db.pragma("wal_autocheckpoint = 4000");
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
      for (const id of s.sessionTranscriptIds.all(projectKey, sessionId)) s.deleteEntries.run(id, id);
      s.deleteSessionTranscripts.run(projectKey, sessionId);
    });
    this.#deleteSession = (projectKey, sessionId) => deleteSession.immediate(projectKey, sessionId);
    const deleteTranscript = db.transaction((key: TranscriptKey) => {
      const row = s.transcript.get(key.projectKey, key.sessionId, key.subpath);
      if (row === undefined) return;
      s.deleteEntries.run(row.id, row.id);
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

  /** The transcript's row, then its range of entries (rowids), parsed as SQLite steps through them. */
  load(key: TranscriptKey): SessionStoreEntry[] | null {
    const row = this.#s.transcript.get(key.projectKey, key.sessionId, key.subpath);
    if (row === undefined) return null;
    const entries: SessionStoreEntry[] = [];
    for (const json of this.#s.entries.iterate(row.id, row.id)) entries.push(JSON.parse(json) as SessionStoreEntry);
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

  /** The body of an append, under the write lock. */
  #appendLocked(key: TranscriptKey, entries: readonly PreparedEntry[], summary: SummaryFold | undefined): void {
    const s = this.#s;
    const row: TranscriptRow | undefined = s.transcript.get(key.projectKey, key.sessionId, key.subpath);
    const now = Date.now();
    const cacheKey = summary === undefined ? "" : transcriptKeyString(key);
    if (row === undefined) {
      // A new transcript: nothing can be stored under it yet, so every entry is.
      const data = summary === undefined ? undefined : foldSummaryData(summary, undefined, entries, now);
      const folded = data === undefined ? null : JSON.stringify(data);
      const id = Number(s.insertTranscript.run(key.projectKey, key.sessionId, key.subpath, now, entries.length, folded).lastInsertRowid);
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i] as PreparedEntry;
        s.insertEntry.run(id, i + 1, id, uuidKey(entry.uuid), entry.json);
      }
      if (data !== undefined) this.#known.set(cacheKey, { id: String(id), lastSeq: entries.length, data });
      return;
    }
    // Insert in order; the uuid index refuses what is stored. A batch whose every uuid was
    // refused is a replay (see entriesToStore): the entries without uuid it brought go again.
    let seq = row.last_seq;
    let withUuid = 0;
    let refused = 0;
    const stored: PreparedEntry[] = [];
    for (const entry of entries) {
      if (entry.uuid !== null) withUuid++;
      if (s.insertEntry.run(row.id, seq + 1, row.id, uuidKey(entry.uuid), entry.json).changes === 1) {
        seq++;
        stored.push(entry);
      } else refused++;
    }
    if (stored.length === 0) return;
    if (withUuid > 0 && refused === withUuid) {
      s.deleteEntriesAfter.run(row.id, row.last_seq, row.id);
      return;
    }
    const mtime = Math.max(now, row.mtime + 1);
    if (summary === undefined) {
      s.updateTranscript.run(seq, mtime, null, row.id);
      return;
    }
    const data = foldSummaryData(summary, this.#summaryData(cacheKey, row), stored, mtime);
    s.updateTranscript.run(seq, mtime, JSON.stringify(data), row.id);
    this.#known.set(cacheKey, { id: String(row.id), lastSeq: seq, data });
  }

  /** The summary data of a main transcript row: the one this process last wrote when the row is still there, else read. */
  #summaryData(cacheKey: string, row: TranscriptRow): Record<string, unknown> | undefined {
    const known = this.#known.get(cacheKey);
    if (known !== undefined && known.id === String(row.id) && known.lastSeq === row.last_seq) return known.data;
    const json = this.#s.transcriptSummary.get(row.id);
    return json === null || json === undefined ? undefined : (JSON.parse(json) as Record<string, unknown>);
  }
}
