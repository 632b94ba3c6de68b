import type Database from "better-sqlite3";
import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import type { TableNames } from "./names.js";
import type { SessionActivity } from "../../src/persist/activity.js";
import type { SessionKey } from "../../src/persist/backend.js";
import { eventParams, payloadJson, rowToSession, type EventParams, type SessionRow } from "./rows.js";

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

/** A session row with the bounds of its events. */
type ActivityRow = SessionRow & { first_index: number | null; last_index: number | null; last_at: number | null };

/**
 * The SQL of the activity listing: the sessions' keyset page, each with three correlated
 * seeks on the events' `(session_id, event_index)` key (min, max, and the last event's time).
 */
export function activitySql(t: TableNames, after: boolean): string {
  const events = `"${t.events}"`;
  return `SELECT s.id, s.agent, s.agent_session_id, s.last_connection_id, s.created_at, s.destroyed_at, s.sandbox_id,
      s.session_init, s.config_options, s.modes,
      (SELECT min(e.event_index) FROM ${events} e WHERE e.session_id = s.id) AS first_index,
      (SELECT max(e.event_index) FROM ${events} e WHERE e.session_id = s.id) AS last_index,
      (SELECT e.created_at FROM ${events} e WHERE e.session_id = s.id ORDER BY e.event_index DESC LIMIT 1) AS last_at
    FROM "${t.sessions}" s ${after ? "WHERE (s.created_at, s.id) > (?, ?)" : ""} ORDER BY s.created_at, s.id LIMIT ?`;
}

/** The SQLite driver's session activity listing: one query per page (see {@link activitySql}). */
export class SQLiteSessionActivity {
  readonly #first: Database.Statement<[number], ActivityRow>;
  readonly #after: Database.Statement<[number, string, number], ActivityRow>;

  constructor(db: Database.Database, t: TableNames) {
    this.#first = db.prepare(activitySql(t, false));
    this.#after = db.prepare(activitySql(t, true));
  }

  /** Up to `limit` sessions after `after`, with their events' bounds. */
  scan(after: SessionKey | undefined, limit: number): SessionActivity[] {
    const rows = after === undefined ? this.#first.all(limit) : this.#after.all(after.createdAt, after.id, limit);
    return rows.map((row) =>
      row.last_index === null
        ? { record: rowToSession(row) }
        : { record: rowToSession(row), firstEventIndex: row.first_index!, lastEventIndex: row.last_index, lastEventAt: row.last_at! },
    );
  }
}
