import type { SessionEvent } from "../../src/persist/types.js";

/** The event stored in a row's `body` (JSON text: every read is a fresh copy, own `"__proto__"` keys kept). */
export function rowToEvent(row: Record<string, unknown>): SessionEvent {
  return JSON.parse(row.body as string) as SessionEvent;
}

/** The parameters of one event row, in the column order of the insert statements. */
export function eventToRow(sessionId: string, event: SessionEvent, bytes: number): unknown[] {
  return [sessionId, event.eventIndex, event.id, bytes, JSON.stringify(event)];
}
