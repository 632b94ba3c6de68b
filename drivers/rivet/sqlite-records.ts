import type { SessionRecord } from "../../src/persist/types.js";
import type { RivetSqlDatabase } from "./context.js";
import { SQL } from "./statements.js";

/**
 * The session records in the actor's database: where they are durable when events are in
 * SQLite (a write is committed before it resolves, without waiting for a state save, which
 * RivetKit cannot do while `createVars` runs). The records in `c.state` are then a mirror,
 * refreshed from here when the driver opens.
 */
export class SqliteRecordStore {
  readonly #db: RivetSqlDatabase;

  constructor(db: RivetSqlDatabase) {
    this.#db = db;
  }

  /** Every record, in listing order. */
  async all(): Promise<SessionRecord[]> {
    return (await this.#db.execute(SQL.records)).map((row) => JSON.parse(row.body as string) as SessionRecord);
  }

  /** Store records that only the state holds (written by the reference driver or in state mode); ids already stored are kept. */
  async adopt(records: readonly SessionRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#db.transaction(
      async (tx) => {
        for (const record of records) await tx.execute(SQL.adoptRecord, record.id, record.createdAt, JSON.stringify(record));
      },
      { name: "durable_agent_adopt_records" },
    );
  }

  /** Insert or replace a record. */
  async put(record: SessionRecord): Promise<void> {
    await this.#db.execute(SQL.putRecord, record.id, record.createdAt, JSON.stringify(record));
  }

  /** Delete a record (no-op when absent). */
  async delete(id: string): Promise<void> {
    await this.#db.execute(SQL.deleteRecord, id);
  }
}
