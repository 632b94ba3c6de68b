import { createHash } from "node:crypto";
import type { TableNames } from "./names.js";

// Every statement the driver runs after migration, for one set of table names. Each is a
// named prepared statement (parsed once per connection); the name is derived from the text,
// so drivers with different schemas or prefixes can share one pool without clashing.

/** A statement with its prepared-statement name. */
export interface Statement {
  /** Prepared-statement name, unique to the text. */
  name: string;
  /** The SQL. */
  text: string;
}

/** A statement for `text`, whitespace collapsed, named after its hash (so equal texts share one name). */
export function statement(text: string): Statement {
  const normalized = text.replace(/\s+/g, " ").trim();
  return { name: `durable_agent_${createHash("sha1").update(normalized).digest("hex").slice(0, 24)}`, text: normalized };
}

/** Columns of an event row as the row mappers expect them. */
const EVENT_COLUMNS = "id, session_id, event_index, created_at, connection_id, sender, payload::text AS payload";
/** Columns of a session row as the row mappers expect them (JSONB as text, so SQL NULL and JSON null stay apart). */
const SESSION_COLUMNS =
  "id, agent, agent_session_id, last_connection_id, created_at, destroyed_at, sandbox_id, " +
  "session_init::text AS session_init, config_options::text AS config_options, modes::text AS modes";
/** A JSON array of events (as `JSON.stringify` writes them) turned into rows. */
const EVENTS_FROM_JSON =
  `SELECT id, "sessionId", "eventIndex", "createdAt", "connectionId", sender, payload
   FROM json_to_recordset($1::json) AS x(id text, "sessionId" text, "eventIndex" bigint, "createdAt" double precision,
     "connectionId" text, sender text, payload jsonb)`;

/**
 * The LISTEN/NOTIFY channel of one schema and table prefix: a hash, so it fits PostgreSQL's
 * 63-byte channel names whatever the lengths of the (already validated) names.
 */
export function channelOf(names: TableNames): string {
  return `durable_agent_${createHash("sha1").update(`${names.schemaName}.${names.prefix}`).digest("hex").slice(0, 24)}`;
}

/** The driver's statements for one schema and table prefix. */
export interface Statements {
  /** One session record. Param: id. */
  readSession: Statement;
  /** Insert or replace a record, every field. */
  writeSession: Statement;
  /** Insert a record unless its id is taken (0 rows then). Same parameters as `writeSession`. */
  insertSession: Statement;
  /** First page of records by (createdAt, id). Param: limit. */
  sessionsFirst: Statement;
  /** A page of records after (createdAt, id). Params: createdAt, id, limit. */
  sessionsAfter: Statement;
  /** A page of events after an index, ascending. Params: session, afterIndex, limit. */
  eventsAfter: Statement;
  /** The newest events of a session, descending. Params: session, limit. */
  tail: Statement;
  /**
   * Insert one event; skipped (0 rows) when its id or (session, index) is taken. Params: id,
   * session, index, createdAt, connection, sender, payload JSON (and the channel, when notifying).
   */
  insertEvent: Statement;
  /**
   * Insert a JSON array of events in one statement; fails whole on any taken key. Param: the
   * array as JSON text (then channel and session, when notifying).
   */
  insertEvents: Statement;
  /** Stored events with these ids. Param: text[]. */
  eventsById: Statement;
  /** Stored event indexes of a session among the given ones. Params: session, bigint[]. */
  indexesTaken: Statement;
  /** Delete a record and its events in one statement. Param: id. */
  deleteSession: Statement;
}

/**
 * Build the statements for `names`. With `notify`, the inserts also signal the session on
 * the table's channel, in the same statement (so only when something was inserted, and
 * delivered when it commits).
 */
export function buildStatements(names: TableNames, notify = false): Statements {
  const { sessions, events } = names;
  const insertInto = `INSERT INTO ${events} (id, session_id, event_index, created_at, connection_id, sender, payload)`;
  const insertOne = `${insertInto} VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT DO NOTHING`;
  const insertAll = `${insertInto} ${EVENTS_FROM_JSON}`;
  const insertSession = `INSERT INTO ${sessions} (id, agent, agent_session_id, last_connection_id, created_at, destroyed_at,
    sandbox_id, session_init, config_options, modes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb)`;
  return {
    readSession: statement(`SELECT ${SESSION_COLUMNS} FROM ${sessions} WHERE id = $1`),
    writeSession: statement(
      `${insertSession}
       ON CONFLICT (id) DO UPDATE SET agent = EXCLUDED.agent, agent_session_id = EXCLUDED.agent_session_id,
         last_connection_id = EXCLUDED.last_connection_id, created_at = EXCLUDED.created_at,
         destroyed_at = EXCLUDED.destroyed_at, sandbox_id = EXCLUDED.sandbox_id, session_init = EXCLUDED.session_init,
         config_options = EXCLUDED.config_options, modes = EXCLUDED.modes`,
    ),
    insertSession: statement(`${insertSession} ON CONFLICT (id) DO NOTHING`),
    sessionsFirst: statement(`SELECT ${SESSION_COLUMNS} FROM ${sessions} ORDER BY created_at, id LIMIT $1`),
    sessionsAfter: statement(
      `SELECT ${SESSION_COLUMNS} FROM ${sessions} WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT $3`,
    ),
    eventsAfter: statement(
      `SELECT ${EVENT_COLUMNS} FROM ${events} WHERE session_id = $1 AND event_index > $2 ORDER BY event_index LIMIT $3`,
    ),
    tail: statement(`SELECT ${EVENT_COLUMNS} FROM ${events} WHERE session_id = $1 ORDER BY event_index DESC LIMIT $2`),
    insertEvent: statement(
      notify ? `WITH ins AS (${insertOne} RETURNING 1) SELECT pg_notify($8, $2) FROM ins` : insertOne,
    ),
    insertEvents: statement(
      notify
        ? `WITH ins AS (${insertAll} RETURNING 1) SELECT pg_notify($2, $3) WHERE EXISTS (SELECT 1 FROM ins)`
        : insertAll,
    ),
    eventsById: statement(`SELECT ${EVENT_COLUMNS} FROM ${events} WHERE id = ANY($1::text[])`),
    indexesTaken: statement(
      `SELECT event_index FROM ${events} WHERE session_id = $1 AND event_index = ANY($2::bigint[])`,
    ),
    deleteSession: statement(
      `WITH gone AS (DELETE FROM ${events} WHERE session_id = $1) DELETE FROM ${sessions} WHERE id = $1`,
    ),
  };
}
