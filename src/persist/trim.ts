import type { MaybePromise, PersistBackend } from "./backend.js";
import { PersistValidationError, UnsupportedCapabilityError } from "./errors.js";
import { parseSessionEvent, parseSessionId } from "./schemas.js";
import type { SessionEvent, SessionPersistDriver } from "./types.js";

// Trimming the start of a session's history: the driver capability retention uses. The kit
// (`PersistDriver`) validates here and hands the backend one atomic step (a range delete and
// the marker's insert), so a trimmed history is never left without its marker.

/**
 * The event-trim capability of a driver (optional, detected with {@link hasEventTrim}). A
 * driver with only the base methods cannot delete events: retention then deletes whole
 * sessions but trims none (it reports them as `untrimmable`).
 */
export interface EventTrimCapability {
  /**
   * Delete every event of `sessionId` with `eventIndex < beforeIndex` and, in the same atomic
   * step, store `marker` (when given) at `beforeIndex - 1`, the slot the delete freed. Resolves
   * how many events were deleted (0 for an unknown session or nothing before the index; the
   * marker is then not stored either). Event ids of deleted events are free again.
   * @throws PersistValidationError when `beforeIndex` is not a non-negative safe integer, or
   * `marker` is not a valid event of `sessionId` at `beforeIndex - 1` (nothing changes).
   */
  deleteEventsBefore(sessionId: string, beforeIndex: number, marker?: SessionEvent): Promise<number>;
}

/** Whether the driver can trim events ({@link EventTrimCapability.deleteEventsBefore}). */
export function hasEventTrim<D extends SessionPersistDriver>(driver: D): driver is D & EventTrimCapability {
  return typeof (driver as Partial<EventTrimCapability>).deleteEventsBefore === "function";
}

/**
 * Trim through the driver's `deleteEventsBefore`.
 * @throws UnsupportedCapabilityError when the driver has no such method (base methods alone cannot delete events).
 */
export async function deleteEventsBeforeVia(
  driver: SessionPersistDriver,
  sessionId: string,
  beforeIndex: number,
  marker?: SessionEvent,
): Promise<number> {
  if (!hasEventTrim(driver)) throw new UnsupportedCapabilityError("deleteEventsBefore");
  return driver.deleteEventsBefore(sessionId, beforeIndex, marker);
}

/** Validated arguments of a trim. */
export interface TrimArguments {
  sessionId: string;
  beforeIndex: number;
  marker: SessionEvent | undefined;
}

/** Validate `deleteEventsBefore` arguments (see {@link EventTrimCapability}). */
export function parseTrimArguments(sessionId: unknown, beforeIndex: unknown, marker: unknown): TrimArguments {
  const id = parseSessionId(sessionId as string, "sessionId");
  if (typeof beforeIndex !== "number" || !Number.isSafeInteger(beforeIndex) || beforeIndex < 0) {
    throw new PersistValidationError("event trim", [
      { path: "beforeIndex", message: `must be a non-negative safe integer, got ${String(beforeIndex)}` },
    ]);
  }
  if (marker === undefined) return { sessionId: id, beforeIndex, marker: undefined };
  const event = parseSessionEvent(id, marker);
  if (event.eventIndex !== beforeIndex - 1) {
    throw new PersistValidationError("event trim", [
      { path: "marker.eventIndex", message: `must be beforeIndex - 1 (${beforeIndex - 1}), got ${event.eventIndex}` },
    ]);
  }
  return { sessionId: id, beforeIndex, marker: event };
}

/**
 * The kit's `deleteEventsBefore` over a backend's primitive: validation (with the backend's
 * own event checks on the marker), the closed state and failure mapping from the driver.
 */
export function trimMethod(
  backend: PersistBackend,
  driver: { assertOpen(): void; call<T>(run: () => MaybePromise<T>): MaybePromise<T> },
): EventTrimCapability {
  const primitive = backend.deleteEventsBefore!.bind(backend);
  return {
    async deleteEventsBefore(sessionId: string, beforeIndex: number, marker?: SessionEvent): Promise<number> {
      driver.assertOpen();
      const args = parseTrimArguments(sessionId, beforeIndex, marker);
      if (args.marker !== undefined) {
        const issues = backend.checkEvent?.(args.marker, "marker");
        if (issues !== undefined && issues.length > 0) throw new PersistValidationError("event trim", issues);
      }
      return driver.call(() => primitive(args.sessionId, args.beforeIndex, args.marker));
    },
  };
}
