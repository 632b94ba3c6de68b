import { PersistValidationError } from "../../src/persist/errors.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import { orderKey } from "./keys.js";
import type { SessionRow } from "./schema.js";

// What is written: plain JSON copies. IndexedDB would store Dates, Maps or undefined as
// they are (structured clone), so a value would read back differently here than from the
// SQL drivers; a JSON round trip makes every driver return the same thing, and refuses
// values JSON cannot hold with a validation error before anything is written. Events are
// stored as they are read (a `SessionEvent`); records inside a row with their listing key.

function jsonCopy<T>(value: T, what: string, path: string): T {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new PersistValidationError(what, [{ path, message: `must be JSON-serializable (${(error as Error).message})` }]);
  }
  return JSON.parse(text ?? "null") as T;
}

/** The event exactly as it will be stored: its seven fields, payload as JSON. `path` names it in errors. */
export function eventToRow(event: SessionEvent, path = "event"): SessionEvent {
  return {
    id: event.id,
    eventIndex: event.eventIndex,
    sessionId: event.sessionId,
    createdAt: event.createdAt,
    connectionId: event.connectionId,
    sender: event.sender,
    payload: jsonCopy(event.payload, path === "event" ? "session event" : "session events", `${path}.payload`),
  };
}

/** The stored form of a session record: a JSON copy plus its listing key. */
export function sessionToRow(record: SessionRecord): SessionRow {
  const copy = jsonCopy(record, "session record", "session");
  return { id: copy.id, createdAt: copy.createdAt, order: orderKey(copy.id), record: copy };
}

/** The record of a stored row (a fresh structured clone, as IndexedDB hands it out). */
export function rowToSession(row: SessionRow): SessionRecord {
  return row.record;
}
