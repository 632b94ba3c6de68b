import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";

// Conversions between the persistence types and table rows / statement parameters.

/** An events row as selected by the driver (payload as JSON text). */
export interface EventRow {
  id: string;
  session_id: string;
  /** bigint: pg returns it as a string unless a type parser says otherwise. */
  event_index: string | number;
  created_at: number | string;
  connection_id: string;
  sender: string;
  payload: string;
}

/** A sessions row as selected by the driver (JSONB columns as JSON text). */
export interface SessionRow {
  id: string;
  agent: string;
  agent_session_id: string;
  last_connection_id: string;
  created_at: number | string;
  destroyed_at: number | string | null;
  sandbox_id: string | null;
  session_init: string | null;
  config_options: string | null;
  modes: string | null;
}

/** A fresh event from a row. */
export function rowToEvent(row: EventRow): SessionEvent {
  return {
    id: row.id,
    eventIndex: Number(row.event_index),
    sessionId: row.session_id,
    createdAt: Number(row.created_at),
    connectionId: row.connection_id,
    sender: row.sender as SessionEvent["sender"],
    payload: JSON.parse(row.payload) as SessionEvent["payload"],
  };
}

/** Parameters of the single-event insert, in column order. */
export function eventParams(event: SessionEvent): unknown[] {
  return [
    event.id,
    event.sessionId,
    event.eventIndex,
    event.createdAt,
    event.connectionId,
    event.sender,
    JSON.stringify(event.payload),
  ];
}

/** A fresh record from a row; fields stored as SQL NULL are left out, JSON `null` is kept. */
export function rowToSession(row: SessionRow): SessionRecord {
  const record: SessionRecord = {
    id: row.id,
    agent: row.agent,
    agentSessionId: row.agent_session_id,
    lastConnectionId: row.last_connection_id,
    createdAt: Number(row.created_at),
  };
  if (row.destroyed_at !== null) record.destroyedAt = Number(row.destroyed_at);
  if (row.sandbox_id !== null) record.sandboxId = row.sandbox_id;
  if (row.session_init !== null) record.sessionInit = JSON.parse(row.session_init) as SessionRecord["sessionInit"];
  if (row.config_options !== null) record.configOptions = JSON.parse(row.config_options) as SessionRecord["configOptions"];
  if (row.modes !== null) record.modes = JSON.parse(row.modes) as SessionRecord["modes"];
  return record;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** Parameters of the session upsert, in column order; absent fields become SQL NULL, `modes: null` JSON null. */
export function sessionParams(record: SessionRecord): unknown[] {
  return [
    record.id,
    record.agent,
    record.agentSessionId,
    record.lastConnectionId,
    record.createdAt,
    record.destroyedAt ?? null,
    record.sandboxId ?? null,
    json(record.sessionInit),
    json(record.configOptions),
    json(record.modes),
  ];
}
