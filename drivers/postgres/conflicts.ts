import { sameEvent } from "../../src/persist/equality.js";
import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import type { Queries } from "./queries.js";
import { eventFromRow, type EventRow } from "./rows.js";

// What to make of events the database skipped because a key was taken: identical
// re-inserts are fine, anything else is a typed conflict. A key freed again in between (the
// session was deleted concurrently) means the insert should simply be retried.

/** Something that runs queries: a pool or a client inside a transaction. */
export interface Queryable {
  query<R extends object>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}

/** The verdict on a set of skipped events. */
export type SkipVerdict = { kind: "duplicates" } | { kind: "conflict"; error: EventConflictError } | { kind: "retry" };

/**
 * Explain why `skipped` (events of `sessionId` the database did not insert) were skipped.
 * Assumes the batch itself is free of internal conflicts (see `dedupeBatch` in src/persist/batch.ts).
 */
export async function explainSkipped(
  db: Queryable,
  queries: Queries,
  sessionId: string,
  skipped: readonly SessionEvent[],
): Promise<SkipVerdict> {
  const { rows } = await db.query<EventRow>({ ...queries.eventsById, values: [skipped.map((e) => e.id)] });
  const stored = new Map(rows.map((row) => [row.id, eventFromRow(row)]));
  const unexplained: SessionEvent[] = [];
  for (const event of skipped) {
    const existing = stored.get(event.id);
    if (existing === undefined) unexplained.push(event);
    else if (!sameEvent(existing, event)) {
      return { kind: "conflict", error: new EventConflictError("id", sessionId, event.id, event.eventIndex) };
    }
  }
  if (unexplained.length === 0) return { kind: "duplicates" };
  const taken = await db.query<{ event_index: string | number }>({
    ...queries.takenIndexes,
    values: [sessionId, unexplained.map((e) => e.eventIndex)],
  });
  const takenIndexes = new Set(taken.rows.map((row) => Number(row.event_index)));
  const blocked = unexplained.find((e) => takenIndexes.has(e.eventIndex));
  if (blocked) {
    return { kind: "conflict", error: new EventConflictError("eventIndex", sessionId, blocked.id, blocked.eventIndex) };
  }
  return { kind: "retry" };
}

