import { sameEvent } from "./equality.js";
import { EventConflictError } from "./errors.js";
import type { SessionEvent } from "./types.js";

/**
 * Check a batch of one session's events against itself before storage is touched: an
 * exact repeat of an earlier event in the batch is dropped; a different event under the
 * same id, or a second event at the same `eventIndex`, is a conflict.
 * @returns the batch without its exact repeats, in order.
 * @throws EventConflictError on a clash inside the batch; nothing has been written.
 */
export function dedupeBatch(sessionId: string, events: readonly SessionEvent[]): SessionEvent[] {
  const byId = new Map<string, SessionEvent>();
  const takenIndexes = new Set<number>();
  const unique: SessionEvent[] = [];
  for (const event of events) {
    const earlier = byId.get(event.id);
    if (earlier) {
      if (sameEvent(earlier, event)) continue;
      throw new EventConflictError("id", sessionId, event.id, event.eventIndex);
    }
    if (takenIndexes.has(event.eventIndex)) throw new EventConflictError("eventIndex", sessionId, event.id, event.eventIndex);
    byId.set(event.id, event);
    takenIndexes.add(event.eventIndex);
    unique.push(event);
  }
  return unique;
}
