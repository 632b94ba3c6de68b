import { EVENTS_TABLE, SESSIONS_TABLE } from "./names.js";

// The SQL of the SQLite event store. Every read goes through the primary key
// (session_id, event_index) or the unique index on id; none scans the table.

/** Most parameters bound in one statement (SQLite's default cap is far above; chunks keep statements short). */
export const MAX_BATCH = 200;

/** `?, ?, ...` for `n` parameters. */
export const placeholders = (n: number): string => Array.from({ length: n }, () => "?").join(", ");

export const SQL = {
  scan: `SELECT body FROM ${EVENTS_TABLE} WHERE session_id = ? AND event_index > ? ORDER BY event_index LIMIT ?`,
  tail: `SELECT body FROM ${EVENTS_TABLE} WHERE session_id = ? ORDER BY event_index DESC LIMIT ?`,
  holders: (n: number) => `SELECT id, body FROM ${EVENTS_TABLE} WHERE id IN (${placeholders(n)})`,
  takenIndexes: (n: number) =>
    `SELECT event_index FROM ${EVENTS_TABLE} WHERE session_id = ? AND event_index IN (${placeholders(n)})`,
  insert: (n: number) =>
    `INSERT INTO ${EVENTS_TABLE} (session_id, event_index, id, bytes, body) VALUES ${Array.from({ length: n }, () => "(?, ?, ?, ?, ?)").join(", ")}`,
  insertOrIgnore: `INSERT OR IGNORE INTO ${EVENTS_TABLE} (session_id, event_index, id, bytes, body) VALUES (?, ?, ?, ?, ?)`,
  /** The `count` oldest events of a session, with their sizes (to count them out). */
  oldest: `SELECT event_index, bytes FROM ${EVENTS_TABLE} WHERE session_id = ? ORDER BY event_index LIMIT ?`,
  deleteUpTo: `DELETE FROM ${EVENTS_TABLE} WHERE session_id = ? AND event_index <= ?`,
  deleteSession: `DELETE FROM ${EVENTS_TABLE} WHERE session_id = ?`,
  records: `SELECT body FROM ${SESSIONS_TABLE} ORDER BY created_at, id`,
  putRecord: `INSERT INTO ${SESSIONS_TABLE} (id, created_at, body) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, body = excluded.body`,
  adoptRecord: `INSERT OR IGNORE INTO ${SESSIONS_TABLE} (id, created_at, body) VALUES (?, ?, ?)`,
  deleteRecord: `DELETE FROM ${SESSIONS_TABLE} WHERE id = ?`,
  usage: `SELECT session_id, COUNT(*) AS events, SUM(bytes) AS bytes FROM ${EVENTS_TABLE} GROUP BY session_id`,
} as const;
