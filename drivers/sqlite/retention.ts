import type Database from "better-sqlite3";
import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import type { TableNames } from "./names.js";
import { eventParams, payloadJson, type EventParams } from "./rows.js";

/** The SQL of the range delete (a `(session_id, event_index)` range of the events' key), for the plan test. */
export function trimSql(t: TableNames): string {
  return `DELETE FROM "${t.events}" WHERE session_id = ? AND event_index < ?`;
}

/**
 * The SQLite driver's event trim: one `DELETE ... WHERE session_id = ? AND event_index < ?`
 * (a range of the events' `(session_id, event_index)` key, no scan) and the marker's insert,
 * in one `BEGIN IMMEDIATE` transaction, rolled back when the marker's id is taken.
 */
export class SQLiteEventTrim {
  readonly #delete: Database.Statement<[string, number]>;
  readonly #insert: Database.Statement<EventParams>;
  readonly #run: (sessionId: string, beforeIndex: number, marker: SessionEvent | undefined) => number;

  constructor(db: Database.Database, t: TableNames) {
    this.#delete = db.prepare(trimSql(t));
    this.#insert = db.prepare(
      `INSERT INTO "${t.events}" (id, session_id, event_index, created_at, connection_id, sender, payload) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const trim = db.transaction((sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): number => {
      const deleted = this.#delete.run(sessionId, beforeIndex).changes;
      if (deleted > 0 && marker !== undefined && this.#insert.run(...eventParams(marker, payloadJson(marker, "marker.payload"))).changes !== 1) {
        // Thrown inside the transaction: the delete is rolled back too.
        throw new EventConflictError("id", sessionId, marker.id, marker.eventIndex);
      }
      return deleted;
    });
    this.#run = (sessionId, beforeIndex, marker) => trim.immediate(sessionId, beforeIndex, marker);
  }

  /** Delete the events before `beforeIndex` and store the marker; resolves how many were deleted. */
  deleteBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): number {
    return this.#run(sessionId, beforeIndex, marker);
  }
}
