import type Database from "better-sqlite3";
import type { SessionStoreNames } from "./names.js";

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/** A transcript row as the store reads it. */
export interface TranscriptRow {
  id: number;
  mtime: number;
  last_seq: number;
  summary: string | null;
}

/** A main transcript row as the summary listing reads it. */
export interface SummaryRow {
  session_id: string;
  mtime: number;
  summary: string;
}

/** Every statement of the session store, prepared once per store. */
export interface SessionStoreStatements {
  /** A transcript by key. */
  readonly transcript: Statement<[projectKey: string, sessionId: string, subpath: string], TranscriptRow>;
  /** A new transcript row, with its first entries' last seq, mtime and summary. */
  readonly insertTranscript: Statement<
    [projectKey: string, sessionId: string, subpath: string, mtime: number, lastSeq: number, summary: string | null]
  >;
  /** A transcript's row after an append. */
  readonly updateTranscript: Statement<[lastSeq: number, mtime: number, summary: string | null, id: number]>;
  /** One entry, skipped (no change) when its uuid is stored in the transcript. */
  readonly insertEntry: Statement<[transcriptId: number, seq: number, uuid: string | null, entry: string]>;
  /** Whether a uuid is stored in a transcript (plucked: 1 or undefined). */
  readonly storedUuid: Statement<[transcriptId: number, uuid: string], 1>;
  /** A transcript's entries as JSON text, in order (plucked). */
  readonly entries: Statement<[transcriptId: number], string>;
  /** The project's main transcripts and their mtimes. */
  readonly sessions: Statement<[projectKey: string], { sessionId: string; mtime: number }>;
  /** The project's summaries. */
  readonly summaries: Statement<[projectKey: string], SummaryRow>;
  /** A session's subpaths (plucked). */
  readonly subkeys: Statement<[projectKey: string, sessionId: string], string>;
  /** The entries of every transcript of a session. */
  readonly deleteSessionEntries: Statement<[projectKey: string, sessionId: string]>;
  /** Every transcript row of a session. */
  readonly deleteSessionTranscripts: Statement<[projectKey: string, sessionId: string]>;
  /** The entries of one transcript. */
  readonly deleteEntries: Statement<[transcriptId: number]>;
  /** One transcript row. */
  readonly deleteTranscript: Statement<[transcriptId: number]>;
  /** Sessions whose newest mtime is before a time, in every project. */
  readonly staleSessions: Statement<[before: number], { project_key: string; session_id: string }>;
  /** Sessions whose newest mtime is before a time, in one project. */
  readonly staleProjectSessions: Statement<[projectKey: string, before: number], { project_key: string; session_id: string }>;
}

/** The SQL of every statement for the tables named by `t` (the index test explains the reads). */
export function sessionStoreSql(t: SessionStoreNames): Record<keyof SessionStoreStatements, string> {
  const transcripts = `"${t.transcripts}"`;
  const entries = `"${t.entries}"`;
  const ofSession = `project_key = ? AND session_id = ?`;
  return {
    transcript: `SELECT id, mtime, last_seq, summary FROM ${transcripts} WHERE ${ofSession} AND subpath = ?`,
    insertTranscript: `INSERT INTO ${transcripts} (project_key, session_id, subpath, mtime, last_seq, summary) VALUES (?, ?, ?, ?, ?, ?)`,
    updateTranscript: `UPDATE ${transcripts} SET last_seq = ?, mtime = ?, summary = ? WHERE id = ?`,
    insertEntry: `INSERT INTO ${entries} (transcript_id, seq, uuid, entry) VALUES (?, ?, ?, ?)
      ON CONFLICT (transcript_id, uuid) WHERE uuid IS NOT NULL DO NOTHING`,
    storedUuid: `SELECT 1 FROM ${entries} WHERE transcript_id = ? AND uuid = ?`,
    entries: `SELECT entry FROM ${entries} WHERE transcript_id = ? ORDER BY seq`,
    sessions: `SELECT session_id AS sessionId, mtime FROM ${transcripts} INDEXED BY "${t.sessions}" WHERE project_key = ? AND subpath = ''`,
    summaries: `SELECT session_id, mtime, summary FROM ${transcripts} INDEXED BY "${t.sessions}"
      WHERE project_key = ? AND subpath = '' AND summary IS NOT NULL`,
    subkeys: `SELECT subpath FROM ${transcripts} WHERE ${ofSession} AND subpath <> '' ORDER BY subpath`,
    deleteSessionEntries: `DELETE FROM ${entries} WHERE transcript_id IN (SELECT id FROM ${transcripts} WHERE ${ofSession})`,
    deleteSessionTranscripts: `DELETE FROM ${transcripts} WHERE ${ofSession}`,
    deleteEntries: `DELETE FROM ${entries} WHERE transcript_id = ?`,
    deleteTranscript: `DELETE FROM ${transcripts} WHERE id = ?`,
    staleSessions: `SELECT project_key, session_id FROM ${transcripts} GROUP BY project_key, session_id HAVING max(mtime) < ?`,
    staleProjectSessions: `SELECT project_key, session_id FROM ${transcripts} WHERE project_key = ?
      GROUP BY project_key, session_id HAVING max(mtime) < ?`,
  };
}

/** Prepare every statement against the tables named by `t`. */
export function prepareSessionStoreStatements(db: Database.Database, t: SessionStoreNames): SessionStoreStatements {
  const sql = sessionStoreSql(t);
  const prepared = {} as Record<keyof SessionStoreStatements, Database.Statement>;
  for (const name of Object.keys(sql) as (keyof SessionStoreStatements)[]) prepared[name] = db.prepare(sql[name]);
  prepared.storedUuid.pluck();
  prepared.entries.pluck();
  prepared.subkeys.pluck();
  return prepared as unknown as SessionStoreStatements;
}
