import type { DurableAgentError } from "../errors.js";
import { insertEventsVia } from "../persist/capabilities.js";
import type { SessionEvent, SessionPersistDriver, SessionRecord } from "../persist/types.js";

/**
 * Where one session's writes go: its events and its record. The recorder and the session
 * write only through a port, so a client can put a condition on every write (a lease's
 * fencing token) without the recorder knowing what the condition is.
 */
export interface SessionWritePort {
  /** Store events of the session, in order (all or nothing where the store allows). */
  insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<void>;
  /** Store the session's record (upsert). */
  updateSession(record: SessionRecord): Promise<void>;
  /**
   * When `error` (thrown by a write of this port) means no later write can succeed either,
   * the typed error to report instead: the recorder stops retrying and stores nothing more
   * until the port accepts writes again. `undefined` for errors worth retrying.
   */
  refusal?(error: unknown): DurableAgentError | undefined;
}

/** The port of a session nothing fences: the driver's own methods. */
export function driverWritePort(driver: SessionPersistDriver): SessionWritePort {
  return {
    insertEvents: (sessionId, events) => insertEventsVia(driver, sessionId, events),
    updateSession: (record) => driver.updateSession(record),
  };
}
