import { PersistValidationError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";

// The JSON text of an event as the key-value backends (Redis, files) store it: the fields in
// one fixed order, so equal events are equal text, and `id` first (the Redis delete script
// reads it from the start of the text).

/**
 * The JSON text of a (validated) event.
 * @param path where the event is in the caller's input (`"event"`, `"events[3]"`), for errors.
 * @throws PersistValidationError when the payload cannot be serialized (a BigInt, a cycle).
 */
export function eventJson(event: SessionEvent, path: string): string {
  try {
    return JSON.stringify({
      id: event.id,
      eventIndex: event.eventIndex,
      sessionId: event.sessionId,
      createdAt: event.createdAt,
      connectionId: event.connectionId,
      sender: event.sender,
      payload: event.payload,
    });
  } catch (error) {
    throw new PersistValidationError("session event", [
      { path: `${path}.payload`, message: `must be JSON-serializable (${(error as Error).message})` },
    ]);
  }
}
