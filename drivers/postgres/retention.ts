import type { Pool } from "pg";
import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import type { TableNames } from "./names.js";
import { eventParams } from "./rows.js";
import { statement, type Statement } from "./statements.js";

/** The statements of a trim, for the plan test. */
export function trimStatements(t: TableNames): { deleteBefore: Statement; insertMarker: Statement } {
  const events = t.events;
  return {
    deleteBefore: statement(`DELETE FROM ${events} WHERE session_id = $1 AND event_index < $2`),
    insertMarker: statement(
      `INSERT INTO ${events} (id, session_id, event_index, created_at, connection_id, sender, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT DO NOTHING`,
    ),
  };
}

/**
 * The PostgreSQL driver's event trim: in one transaction, one `DELETE ... WHERE session_id = $1
 * AND event_index < $2` (a range of the `(session_id, event_index)` unique index) and the
 * marker's insert; rolled back when the marker's id is taken.
 */
export class PostgresEventTrim {
  readonly #pool: Pool;
  readonly #sql: { deleteBefore: Statement; insertMarker: Statement };

  constructor(pool: Pool, t: TableNames) {
    this.#pool = pool;
    this.#sql = trimStatements(t);
  }

  /** Delete the events before `beforeIndex` and store the marker; resolves how many were deleted. */
  async deleteBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): Promise<number> {
    const client = await this.#pool.connect();
    let failed: unknown;
    try {
      await client.query("BEGIN");
      const { deleteBefore, insertMarker } = this.#sql;
      const deleted = (await client.query({ ...deleteBefore, values: [sessionId, beforeIndex] })).rowCount ?? 0;
      if (deleted > 0 && marker !== undefined) {
        const inserted = (await client.query({ ...insertMarker, values: eventParams(marker) })).rowCount ?? 0;
        if (inserted !== 1) throw new EventConflictError("id", sessionId, marker.id, marker.eventIndex);
      }
      await client.query("COMMIT");
      return deleted;
    } catch (error) {
      failed = error;
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release(failed !== undefined && !(failed instanceof EventConflictError) ? (failed as Error) : undefined);
    }
  }
}
