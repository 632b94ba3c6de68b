import { AGENT_STATE_CHUNKS_TABLE, AGENT_STATE_FILES_TABLE, EVENTS_TABLE, SESSIONS_TABLE } from "./names.js";

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
  /** What a trim deletes (to count it out of the caps' usage), along the primary key. */
  trimUsage: `SELECT COUNT(*) AS events, SUM(bytes) AS bytes FROM ${EVENTS_TABLE} WHERE session_id = ? AND event_index < ?`,
  /** The trim's range delete: a range of the primary key `(session_id, event_index)`. */
  deleteBefore: `DELETE FROM ${EVENTS_TABLE} WHERE session_id = ? AND event_index < ?`,
  /**
   * The bounds of each listed session's events: two seeks on the primary key per session (its
   * last row, whose createdAt is read from its JSON, and its first index).
   */
  bounds: (n: number) =>
    `SELECT e.session_id AS session_id, e.event_index AS last_index, json_extract(e.body, '$.createdAt') AS last_at,
      (SELECT f.event_index FROM ${EVENTS_TABLE} f WHERE f.session_id = e.session_id ORDER BY f.event_index LIMIT 1) AS first_index
    FROM ${EVENTS_TABLE} e
    WHERE e.session_id IN (${placeholders(n)})
      AND e.event_index = (SELECT g.event_index FROM ${EVENTS_TABLE} g WHERE g.session_id = e.session_id ORDER BY g.event_index DESC LIMIT 1)`,
} as const;

/** The SQL of the agent state (SQLite mode): every statement goes along a table's primary key. */
export const AGENT_STATE_SQL = {
  size: `SELECT size FROM ${AGENT_STATE_FILES_TABLE} WHERE session_id = ? AND path = ?`,
  putFile: `INSERT INTO ${AGENT_STATE_FILES_TABLE} (session_id, path, size, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (session_id, path) DO UPDATE SET size = excluded.size, updated_at = excluded.updated_at`,
  putChunk: `INSERT INTO ${AGENT_STATE_CHUNKS_TABLE} (session_id, path, chunk_offset, data) VALUES (?, ?, ?, ?)`,
  /** The file and its pieces in one statement (one snapshot): no row when no file is stored, one row with NULL data for an empty file. */
  read: `SELECT f.size AS size, c.data AS data FROM ${AGENT_STATE_FILES_TABLE} f
    LEFT JOIN ${AGENT_STATE_CHUNKS_TABLE} c ON c.session_id = f.session_id AND c.path = f.path
    WHERE f.session_id = ? AND f.path = ? ORDER BY c.chunk_offset`,
  list: `SELECT path, size, updated_at FROM ${AGENT_STATE_FILES_TABLE} WHERE session_id = ? ORDER BY path`,
  dropChunks: `DELETE FROM ${AGENT_STATE_CHUNKS_TABLE} WHERE session_id = ? AND path = ?`,
  dropFile: `DELETE FROM ${AGENT_STATE_FILES_TABLE} WHERE session_id = ? AND path = ?`,
  dropAllChunks: `DELETE FROM ${AGENT_STATE_CHUNKS_TABLE} WHERE session_id = ?`,
  dropAllFiles: `DELETE FROM ${AGENT_STATE_FILES_TABLE} WHERE session_id = ?`,
} as const;
