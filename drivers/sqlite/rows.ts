import { PersistValidationError } from "../../src/persist/errors.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";

// Mapping between rows and the driver's values. JSON columns: SQL NULL = field absent,
// JSON text (possibly "null") = field present with that value.

/** A row of the sessions table, as better-sqlite3 returns it. */
export interface SessionRow {
  id: string;
  agent: string;
  agent_session_id: string;
  last_connection_id: string;
  created_at: number;
  destroyed_at: number | null;
  sandbox_id: string | null;
  session_init: string | null;
  config_options: string | null;
  modes: string | null;
}

/** A row of the events table, as better-sqlite3 returns it. */
export interface EventRow {
  id: string;
  session_id: string;
  event_index: number;
  created_at: number;
  connection_id: string;
  sender: SessionEvent["sender"];
  payload: string;
}

/** Column values of a session record, in the order of the sessions upsert statement. */
export type SessionParams = [
  id: string,
  agent: string,
  agentSessionId: string,
  lastConnectionId: string,
  createdAt: number,
  destroyedAt: number | null,
  sandboxId: string | null,
  sessionInit: string | null,
  configOptions: string | null,
  modes: string | null,
];

/** Column values of an event, in the order of the events insert statement. */
export type EventParams = [
  id: string,
  sessionId: string,
  eventIndex: number,
  createdAt: number,
  connectionId: string,
  sender: string,
  payload: string,
];

const jsonOrNull = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** Bind values of a (validated) session record. */
export function sessionParams(s: SessionRecord): SessionParams {
  return [
    s.id,
    s.agent,
    s.agentSessionId,
    s.lastConnectionId,
    s.createdAt,
    s.destroyedAt ?? null,
    s.sandboxId ?? null,
    jsonOrNull(s.sessionInit),
    jsonOrNull(s.configOptions),
    jsonOrNull(s.modes),
  ];
}

/** A fresh session record built from a row; optional fields appear only when stored. */
export function rowToSession(row: SessionRow): SessionRecord {
  const record: SessionRecord = {
    id: row.id,
    agent: row.agent,
    agentSessionId: row.agent_session_id,
    lastConnectionId: row.last_connection_id,
    createdAt: row.created_at,
  };
  if (row.destroyed_at !== null) record.destroyedAt = row.destroyed_at;
  if (row.sandbox_id !== null) record.sandboxId = row.sandbox_id;
  if (row.session_init !== null) record.sessionInit = JSON.parse(row.session_init) as SessionRecord["sessionInit"];
  if (row.config_options !== null) {
    record.configOptions = JSON.parse(row.config_options) as SessionRecord["configOptions"];
  }
  if (row.modes !== null) record.modes = JSON.parse(row.modes) as SessionRecord["modes"];
  return record;
}

/**
 * The payload of a (validated) event as JSON text.
 * @throws PersistValidationError when the payload cannot be serialized (a BigInt, a cycle).
 */
export function payloadJson(event: SessionEvent, path = "event.payload"): string {
  try {
    return JSON.stringify(event.payload);
  } catch (error) {
    throw new PersistValidationError("session event", [
      { path, message: `must be JSON-serializable (${(error as Error).message})` },
    ]);
  }
}

/** Bind values of a (validated) event, its payload already serialized (see {@link payloadJson}). */
export function eventParams(e: SessionEvent, payload: string): EventParams {
  return [e.id, e.sessionId, e.eventIndex, e.createdAt, e.connectionId, e.sender, payload];
}

/** A fresh event built from a row. */
export function rowToEvent(row: EventRow): SessionEvent {
  return {
    id: row.id,
    eventIndex: row.event_index,
    sessionId: row.session_id,
    createdAt: row.created_at,
    connectionId: row.connection_id,
    sender: row.sender,
    payload: JSON.parse(row.payload) as SessionEvent["payload"],
  };
}
