import type Database from "better-sqlite3";
import type { SessionStoreNames } from "./names.js";

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/** A transcript row as an append reads it (the summary apart: see `transcriptSummary`). */
export interface TranscriptRow {
  id: number;
  mtime: number;
  last_seq: number;
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
  readonly insertEntry: Statement<[transcriptId: number, seq: number, sameTranscriptId: number, uuid: Buffer | string | null, entry: string]>;
  /** A transcript's summary data as JSON text (plucked). */
  readonly transcriptSummary: Statement<[transcriptId: number], string | null>;
  /** The entries of a transcript after a seq (a replay's entries without uuid, inserted in the same transaction). */
  readonly deleteEntriesAfter: Statement<[transcriptId: number, seq: number, sameTranscriptId: number]>;
  /** A transcript's entries as JSON text, in order (plucked). */
  readonly entries: Statement<[transcriptId: number, sameTranscriptId: number], string>;
  /** The project's main transcripts and their mtimes. */
  readonly sessions: Statement<[projectKey: string], { sessionId: string; mtime: number }>;
  /** The project's summaries. */
  readonly summaries: Statement<[projectKey: string], SummaryRow>;
  /** A session's subpaths (plucked). */
  readonly subkeys: Statement<[projectKey: string, sessionId: string], string>;
  /** The ids of every transcript of a session (plucked). */
  readonly sessionTranscriptIds: Statement<[projectKey: string, sessionId: string], number>;
  /** Every transcript row of a session. */
  readonly deleteSessionTranscripts: Statement<[projectKey: string, sessionId: string]>;
  /** The entries of one transcript. */
  readonly deleteEntries: Statement<[transcriptId: number, sameTranscriptId: number]>;
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
  // The last position a transcript can hold: its rows are the range (id << 32, lastPos].
  const lastPos = "(? << 32) + 4294967295";
  return {
    transcript: `SELECT id, mtime, last_seq FROM ${transcripts} WHERE ${ofSession} AND subpath = ?`,
    transcriptSummary: `SELECT summary FROM ${transcripts} WHERE id = ?`,
    insertTranscript: `INSERT INTO ${transcripts} (project_key, session_id, subpath, mtime, last_seq, summary) VALUES (?, ?, ?, ?, ?, ?)`,
    updateTranscript: `UPDATE ${transcripts} SET last_seq = ?, mtime = ?, summary = ? WHERE id = ?`,
    insertEntry: `INSERT INTO ${entries} (pos, transcript_id, uuid, entry) VALUES ((? << 32) + ?, ?, ?, ?)
      ON CONFLICT (transcript_id, uuid) WHERE uuid IS NOT NULL DO NOTHING`,
    deleteEntriesAfter: `DELETE FROM ${entries} WHERE pos > (? << 32) + ? AND pos <= ${lastPos}`,
    entries: `SELECT entry FROM ${entries} WHERE pos > (? << 32) AND pos <= ${lastPos} ORDER BY pos`,
    sessions: `SELECT session_id AS sessionId, mtime FROM ${transcripts} INDEXED BY "${t.sessions}" WHERE project_key = ? AND subpath = ''`,
    summaries: `SELECT session_id, mtime, summary FROM ${transcripts} INDEXED BY "${t.sessions}"
      WHERE project_key = ? AND subpath = '' AND summary IS NOT NULL`,
    subkeys: `SELECT subpath FROM ${transcripts} WHERE ${ofSession} AND subpath <> '' ORDER BY subpath`,
    sessionTranscriptIds: `SELECT id FROM ${transcripts} WHERE ${ofSession}`,
    deleteSessionTranscripts: `DELETE FROM ${transcripts} WHERE ${ofSession}`,
    deleteEntries: `DELETE FROM ${entries} WHERE pos > (? << 32) AND pos <= ${lastPos}`,
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
  prepared.transcriptSummary.pluck();
  prepared.entries.pluck();
  prepared.subkeys.pluck();
  prepared.sessionTranscriptIds.pluck();
  return prepared as unknown as SessionStoreStatements;
}
