import type Database from "better-sqlite3";
import type { TableNames } from "./names.js";
import type { EventParams, EventRow, SessionParams, SessionRow } from "./rows.js";

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/**
 * Every statement the driver runs, prepared once per driver. Listings are keyset queries
 * (the kit asks for one row more than a page, so the last page needs no extra query);
 * nothing uses OFFSET or COUNT(*).
 */
export interface Statements {
  /** One session by id. */
  readonly readSession: Statement<[id: string], SessionRow>;
  /** Insert or replace every column of a session. */
  readonly writeSession: Statement<SessionParams>;
  /** Insert a session unless its id is taken; `changes` tells which. */
  readonly insertSession: Statement<SessionParams>;
  /** First sessions in `(created_at, id)` order. */
  readonly sessionsFirst: Statement<[limit: number], SessionRow>;
  /** Sessions after a `(created_at, id)` key. */
  readonly sessionsAfter: Statement<[createdAt: number, id: string, limit: number], SessionRow>;
  /** A session's events after an `event_index` (-1 for the first page), ascending. */
  readonly eventsAfter: Statement<[sessionId: string, afterIndex: number, limit: number], EventRow>;
  /** A session's newest events, descending. */
  readonly tail: Statement<[sessionId: string, limit: number], EventRow>;
  /** Insert an event unless its id or `(session_id, event_index)` is taken; `changes` tells which. */
  readonly insertEvent: Statement<EventParams>;
  /** One event by id (to tell an identical re-insert from a conflict). */
  readonly eventById: Statement<[id: string], EventRow>;
  /** Whether an event holds `(session_id, event_index)`. */
  readonly indexTaken: Statement<[sessionId: string, eventIndex: number], { taken: 1 }>;
  /** Every event of a session. */
  readonly deleteEvents: Statement<[sessionId: string]>;
  /** A session record. */
  readonly deleteSession: Statement<[id: string]>;
}

const SESSION_COLUMNS =
  "id, agent, agent_session_id, last_connection_id, created_at, destroyed_at, sandbox_id, session_init, config_options, modes";
const EVENT_COLUMNS = "id, session_id, event_index, created_at, connection_id, sender, payload";

/** The SQL of every statement for the tables named by `t` (the index test explains the reads). */
export function statementSql(t: TableNames): Record<keyof Statements, string> {
  const sessions = `"${t.sessions}"`;
  const events = `"${t.events}"`;
  return {
    readSession: `SELECT ${SESSION_COLUMNS} FROM ${sessions} WHERE id = ?`,
    writeSession: `INSERT INTO ${sessions} (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         agent = excluded.agent,
         agent_session_id = excluded.agent_session_id,
         last_connection_id = excluded.last_connection_id,
         created_at = excluded.created_at,
         destroyed_at = excluded.destroyed_at,
         sandbox_id = excluded.sandbox_id,
         session_init = excluded.session_init,
         config_options = excluded.config_options,
         modes = excluded.modes`,
    insertSession: `INSERT INTO ${sessions} (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    sessionsFirst: `SELECT ${SESSION_COLUMNS} FROM ${sessions} ORDER BY created_at, id LIMIT ?`,
    sessionsAfter: `SELECT ${SESSION_COLUMNS} FROM ${sessions} WHERE (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?`,
    eventsAfter: `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE session_id = ? AND event_index > ? ORDER BY event_index LIMIT ?`,
    tail: `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE session_id = ? ORDER BY event_index DESC LIMIT ?`,
    insertEvent: `INSERT INTO ${events} (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    eventById: `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE id = ?`,
    indexTaken: `SELECT 1 AS taken FROM ${events} WHERE session_id = ? AND event_index = ?`,
    deleteEvents: `DELETE FROM ${events} WHERE session_id = ?`,
    deleteSession: `DELETE FROM ${sessions} WHERE id = ?`,
  };
}

/** Prepare every statement against the tables named by `t`. */
export function prepareStatements(db: Database.Database, t: TableNames): Statements {
  const sql = statementSql(t);
  const prepared = {} as Record<keyof Statements, Database.Statement>;
  for (const name of Object.keys(sql) as (keyof Statements)[]) prepared[name] = db.prepare(sql[name]);
  return prepared as unknown as Statements;
}
