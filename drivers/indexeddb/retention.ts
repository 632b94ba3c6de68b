import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import type { Connection } from "./connection.js";
import { IndexedDbUnavailableError } from "./errors.js";
import { EVENTS, EVENTS_BY_ID } from "./names.js";
import { eventToRow } from "./rows.js";
import { request, transact } from "./transaction.js";

/** Events of `sessionId` with `eventIndex < beforeIndex`: a range of the events' primary key. */
export function eventsBefore(sessionId: string, beforeIndex: number): IDBKeyRange {
  const ctor = (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
  if (!ctor) throw new IndexedDbUnavailableError("IDBKeyRange");
  return ctor.bound([sessionId, -Infinity], [sessionId, beforeIndex], false, true);
}

/**
 * The IndexedDB driver's event trim, in one readwrite transaction on the events store: a count
 * and one `delete(keyRange)` of the primary key range before the index, then the marker's
 * `add` (its id checked first on the id index: a taken one aborts the whole transaction).
 */
export function trimEvents(connection: Connection, sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): Promise<number> {
  const row = marker && eventToRow(marker, "marker");
  return transact(connection, "deleteEventsBefore", [EVENTS], "readwrite", async (tx) => {
    const store = tx.objectStore(EVENTS);
    const range = eventsBefore(sessionId, beforeIndex);
    const [deleted, taken] = await Promise.all([
      request(store.count(range)),
      row ? request(store.index(EVENTS_BY_ID).getKey(row.id)) : Promise.resolve(undefined),
    ]);
    if (deleted === 0) return 0;
    if (row !== undefined && taken !== undefined) throw new EventConflictError("id", sessionId, row.id, row.eventIndex);
    await request(store.delete(range));
    if (row !== undefined) await request(store.add(row));
    return deleted;
  });
}
