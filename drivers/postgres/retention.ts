import type { Pool } from "pg";
import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { isUniqueViolation } from "./errors.js";
import type { TableNames } from "./names.js";
import type { SessionActivity } from "../../src/persist/activity.js";
import type { SessionKey } from "../../src/persist/backend.js";
import { eventParams, rowToSession, type SessionRow } from "./rows.js";
import { statement, type Statement } from "./statements.js";

/** The statements of a trim, for the plan test: the range delete alone, and with the marker's insert. */
export function trimStatements(t: TableNames): { deleteBefore: Statement; deleteBeforeWithMarker: Statement } {
  const events = t.events;
  const deleteBefore = `DELETE FROM ${events} WHERE session_id = $1 AND event_index < $2`;
  return {
    deleteBefore: statement(deleteBefore),
    // One statement, so atomic by itself: the marker is inserted only when something was
    // deleted, and a taken id (a unique violation) fails the whole statement, delete included.
    deleteBeforeWithMarker: statement(
      `WITH deleted AS (${deleteBefore} RETURNING 1),
       counted AS (SELECT count(*)::int AS n FROM deleted),
       inserted AS (
         INSERT INTO ${events} (id, session_id, event_index, created_at, connection_id, sender, payload)
         SELECT $3, $1, $4, $5, $6, $7, $8::jsonb FROM counted WHERE counted.n > 0
         RETURNING 1)
       SELECT (SELECT n FROM counted) AS deleted, (SELECT count(*)::int FROM inserted) AS inserted`,
    ),
  };
}

/**
 * The PostgreSQL driver's event trim: one statement, `DELETE ... WHERE session_id = $1 AND
 * event_index < $2` (a range of the `(session_id, event_index)` unique index) with the
 * marker's insert in the same statement; a taken marker id fails it whole.
 */
export class PostgresEventTrim {
  readonly #pool: Pool;
  readonly #sql: ReturnType<typeof trimStatements>;

  constructor(pool: Pool, t: TableNames) {
    this.#pool = pool;
    this.#sql = trimStatements(t);
  }

  /** Delete the events before `beforeIndex` and store the marker; resolves how many were deleted. */
  async deleteBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): Promise<number> {
    if (marker === undefined) {
      return (await this.#pool.query({ ...this.#sql.deleteBefore, values: [sessionId, beforeIndex] })).rowCount ?? 0;
    }
    const [id, , eventIndex, createdAt, connectionId, sender, payload] = eventParams(marker);
    try {
      const { rows } = await this.#pool.query<{ deleted: number }>({
        ...this.#sql.deleteBeforeWithMarker,
        values: [sessionId, beforeIndex, id, eventIndex, createdAt, connectionId, sender, payload],
      });
      return rows[0]?.deleted ?? 0;
    } catch (error) {
      if (isUniqueViolation(error)) throw new EventConflictError("id", sessionId, marker.id, marker.eventIndex);
      throw error;
    }
  }
}

/** A session row with the bounds of its events (bigint and double columns as pg returns them). */
type ActivityRow = SessionRow & { first_index: string | null; last_index: string | null; last_at: number | null };

/**
 * The activity listing's statements: the sessions' keyset page, each row with three
 * correlated seeks on the `(session_id, event_index)` unique index (min, max, last event's time).
 */
export function activityStatements(t: TableNames): { first: Statement; after: Statement } {
  const sql = (where: string, limit: string): string =>
    `SELECT s.id, s.agent, s.agent_session_id, s.last_connection_id, s.created_at, s.destroyed_at, s.sandbox_id,
       s.session_init::text AS session_init, s.config_options::text AS config_options, s.modes::text AS modes,
       (SELECT min(e.event_index) FROM ${t.events} e WHERE e.session_id = s.id) AS first_index,
       (SELECT max(e.event_index) FROM ${t.events} e WHERE e.session_id = s.id) AS last_index,
       (SELECT e.created_at FROM ${t.events} e WHERE e.session_id = s.id ORDER BY e.event_index DESC LIMIT 1) AS last_at
     FROM ${t.sessions} s ${where} ORDER BY s.created_at, s.id LIMIT ${limit}`;
  return { first: statement(sql("", "$1")), after: statement(sql("WHERE (s.created_at, s.id) > ($1, $2)", "$3")) };
}

/** The PostgreSQL driver's session activity listing: one query per page (see {@link activityStatements}). */
export class PostgresSessionActivity {
  readonly #pool: Pool;
  readonly #sql: { first: Statement; after: Statement };

  constructor(pool: Pool, t: TableNames) {
    this.#pool = pool;
    this.#sql = activityStatements(t);
  }

  /** Up to `limit` sessions after `after`, with their events' bounds. */
  async scan(after: SessionKey | undefined, limit: number): Promise<SessionActivity[]> {
    const { rows } =
      after === undefined
        ? await this.#pool.query<ActivityRow>({ ...this.#sql.first, values: [limit] })
        : await this.#pool.query<ActivityRow>({ ...this.#sql.after, values: [after.createdAt, after.id, limit] });
    return rows.map((row) =>
      row.last_index === null
        ? { record: rowToSession(row) }
        : { record: rowToSession(row), firstEventIndex: Number(row.first_index), lastEventIndex: Number(row.last_index), lastEventAt: Number(row.last_at) },
    );
  }
}
