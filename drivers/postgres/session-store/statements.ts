import { statement, type Statement } from "../statements.js";
import type { SessionStoreNames } from "./names.js";

// Every statement of the session store, for one schema and prefix, as named prepared
// statements. Times are the server's clock in integer epoch ms, so every app server stamps
// mtimes on one clock. Bigints come back as float8 (exact for epoch ms and sequence numbers)
// or as text for ids, which are only ever sent back.

/** `clock_timestamp()` as integer epoch milliseconds. */
const NOW_MS = "floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint";
/**
 * The batch as rows `x(entry, uuid, ord)`, numbered from 1: from two arrays of one length
 * (entries' JSON text, uuids), or, for a batch of one, from two plain parameters (parsing
 * array literals of JSON text costs the server more than the rest of a one-entry append).
 */
const BATCH = {
  many: "unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(entry, uuid, ord)",
  one: "(SELECT $1::text AS entry, $2::text AS uuid, 1::bigint AS ord) AS x",
} as const;

/** How a statement receives its batch: `$1` and `$2` as arrays, or as one entry's values. */
export type BatchShape = keyof typeof BATCH;

/** The statements that append a batch, for one batch shape. */
export interface AppendStatements {
  /**
   * Append after a known state, in one statement: bump the transcript row `(id, last_seq)`
   * (only when it still has that `last_seq`), set its summary (NULL for a subpath) and insert
   * the batch after it. No row inserted: the state changed (or the row is gone). A unique
   * violation: an entry's uuid is stored already. Params: entries, uuids, id, expected
   * last_seq, count, summary. (The insert is the statement itself, not a second CTE read by a
   * final SELECT: that form costs a one-entry append a tenth more server time.)
   */
  readonly after: Statement;
  /**
   * Append to a transcript not stored yet: create its row and insert the batch, or do nothing
   * (no row) when the row exists. Params: entries, uuids, project, session, subpath, count,
   * summary. Returns the new transcript's id, once per entry.
   */
  readonly new: Statement;
  /**
   * Append without a summary (a subpath) in one statement: create or bump the row, insert the
   * batch after it. A unique violation: an entry's uuid is stored already. Params: entries,
   * uuids, project, session, subpath, count.
   */
  readonly unsummarized: Statement;
}

/** The store's statements; each says its parameters. */
export interface SessionStoreStatements {
  /** The append statements for a batch of several entries, and for a batch of one. */
  readonly append: Readonly<Record<BatchShape, AppendStatements>>;
  /**
   * Lock a transcript row inside a transaction, creating it (empty) when missing. Params:
   * project, session, subpath. Returns id, last_seq, mtime, summary.
   */
  readonly lockTranscript: Statement;
  /** Which of these uuids are stored in a transcript. Params: id, uuids. */
  readonly storedUuids: Statement;
  /** A transcript's id and last seq (none: no row). Params: project, session, subpath. */
  readonly transcript: Statement;
  /** A transcript's entries with seq in (after, upTo], in order, as JSON text. Params: id, after, upTo (row mode array). */
  readonly entriesBetween: Statement;
  /** The project's main transcripts. Param: project. */
  readonly sessions: Statement;
  /** The project's summaries. Param: project. */
  readonly summaries: Statement;
  /** A session's subpaths. Params: project, session. */
  readonly subkeys: Statement;
  /** Lock every transcript row of a session (in a transaction). Params: project, session. Returns id. */
  readonly lockSession: Statement;
  /** Lock one transcript row (in a transaction). Params: project, session, subpath. Returns id. */
  readonly lockOne: Statement;
  /** Delete transcript rows and their entries, all locked beforehand. Param: ids. */
  readonly deleteTranscripts: Statement;
  /** Lock the rows of every session idle since a time (in a transaction). Params: before, project or NULL. Returns id. */
  readonly lockStale: Statement;
  /** Delete the locked sessions still idle since the time; returns how many. Params: ids, before. */
  readonly deleteStale: Statement;
}

/** The append statements for `t` and one batch shape. */
function appendStatements(t: SessionStoreNames, shape: BatchShape): AppendStatements {
  const { transcripts, entries } = t;
  const insertEntries = `INSERT INTO ${entries} (transcript_id, seq, uuid, entry)`;
  const newRow = `INSERT INTO ${transcripts} (project_key, session_id, subpath, mtime, last_seq, summary)`;
  const batch = BATCH[shape];
  return {
    after: statement(
      `WITH t AS (
         UPDATE ${transcripts} SET last_seq = last_seq + $5, mtime = greatest(${NOW_MS}, mtime + 1), summary = $6
         WHERE id = $3 AND last_seq = $4 RETURNING id
       )
       ${insertEntries} SELECT t.id, $4 + x.ord, x.uuid, x.entry FROM t, ${batch}`,
    ),
    new: statement(
      `WITH t AS (
         ${newRow} VALUES ($3, $4, $5, ${NOW_MS}, $6, $7)
         ON CONFLICT (project_key, session_id, subpath) DO NOTHING RETURNING id
       )
       ${insertEntries} SELECT t.id, x.ord, x.uuid, x.entry FROM t, ${batch} RETURNING transcript_id::text AS id`,
    ),
    unsummarized: statement(
      `WITH t AS (
         ${newRow} VALUES ($3, $4, $5, ${NOW_MS}, $6, NULL)
         ON CONFLICT (project_key, session_id, subpath) DO UPDATE
           SET last_seq = ${transcripts}.last_seq + EXCLUDED.last_seq, mtime = greatest(EXCLUDED.mtime, ${transcripts}.mtime + 1)
         RETURNING id, last_seq - $6 AS base
       )
       ${insertEntries} SELECT t.id, t.base + x.ord, x.uuid, x.entry FROM t, ${batch}`,
    ),
  };
}

/** Build the statements for `t`. */
export function buildSessionStoreStatements(t: SessionStoreNames): SessionStoreStatements {
  const { transcripts, entries } = t;
  const newRow = `INSERT INTO ${transcripts} (project_key, session_id, subpath, mtime, last_seq, summary)`;
  const key = "project_key = $1 AND session_id = $2";
  return {
    append: { many: appendStatements(t, "many"), one: appendStatements(t, "one") },
    lockTranscript: statement(
      `${newRow} VALUES ($1, $2, $3, ${NOW_MS}, 0, NULL)
       ON CONFLICT (project_key, session_id, subpath) DO UPDATE SET last_seq = ${transcripts}.last_seq
       RETURNING id::text AS id, last_seq::float8 AS last_seq, mtime::float8 AS mtime, summary`,
    ),
    storedUuids: statement(`SELECT uuid FROM ${entries} WHERE transcript_id = $1 AND uuid = ANY($2::text[])`),
    transcript: statement(`SELECT id::text AS id, last_seq::float8 AS last_seq FROM ${transcripts} WHERE ${key} AND subpath = $3`),
    entriesBetween: statement(`SELECT entry FROM ${entries} WHERE transcript_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`),
    sessions: statement(`SELECT session_id AS "sessionId", mtime::float8 AS mtime FROM ${transcripts} WHERE project_key = $1 AND subpath = ''`),
    summaries: statement(
      `SELECT session_id, mtime::float8 AS mtime, summary FROM ${transcripts}
       WHERE project_key = $1 AND subpath = '' AND summary IS NOT NULL`,
    ),
    subkeys: statement(`SELECT subpath FROM ${transcripts} WHERE ${key} AND subpath <> '' ORDER BY subpath`),
    lockSession: statement(`SELECT id::text AS id FROM ${transcripts} WHERE ${key} FOR UPDATE`),
    lockOne: statement(`SELECT id::text AS id FROM ${transcripts} WHERE ${key} AND subpath = $3 FOR UPDATE`),
    deleteTranscripts: statement(
      `WITH t AS (DELETE FROM ${transcripts} WHERE id = ANY($1::bigint[])) DELETE FROM ${entries} WHERE transcript_id = ANY($1::bigint[])`,
    ),
    lockStale: statement(
      `SELECT id::text AS id FROM ${transcripts} WHERE (project_key, session_id) IN (
         SELECT project_key, session_id FROM ${transcripts} WHERE $2::text IS NULL OR project_key = $2
         GROUP BY project_key, session_id HAVING max(mtime) < $1
       ) FOR UPDATE`,
    ),
    deleteStale: statement(
      `WITH stale AS (
         SELECT project_key, session_id FROM ${transcripts} WHERE id = ANY($1::bigint[])
         GROUP BY project_key, session_id HAVING max(mtime) < $2
       ), gone AS (
         DELETE FROM ${transcripts} t USING stale WHERE t.id = ANY($1::bigint[])
           AND t.project_key = stale.project_key AND t.session_id = stale.session_id
         RETURNING t.id, t.project_key, t.session_id
       ), e AS (DELETE FROM ${entries} WHERE transcript_id IN (SELECT id FROM gone))
       SELECT count(DISTINCT (project_key, session_id))::float8 AS n FROM gone`,
    ),
  };
}
