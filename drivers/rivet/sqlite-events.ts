import type { EventClash } from "../../src/persist/backend.js";
import type { SessionEvent } from "../../src/persist/types.js";
import type { RivetSqlDatabase } from "./context.js";
import { Ledger, type EventStore } from "./event-store.js";
import { eventToRow, rowToEvent } from "./rows.js";
import { migrate } from "./schema.js";
import { MAX_BATCH, SQL } from "./statements.js";

/** `items` in chunks of at most `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Events in the actor's SQLite database (`c.db`): an insert writes only its rows, whatever the
 * history already holds. A batch is checked and inserted in one transaction, so it is stored
 * whole or not at all.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = "sqlite";
  readonly ledger = new Ledger();
  readonly #db: RivetSqlDatabase;

  constructor(db: RivetSqlDatabase) {
    this.#db = db;
  }

  async open(): Promise<void> {
    await migrate(this.#db);
    for (const row of await this.#db.execute(SQL.usage)) {
      this.ledger.add(row.session_id as string, Number(row.events), Number(row.bytes));
    }
  }

  /**
   * Move events kept in the state (by the reference driver, or this one with `events: "state"`)
   * into the database. Idempotent: an event whose id or index is already stored is skipped, so
   * a move cut short by a crash is finished by the next open.
   */
  async adopt(sessionId: string, events: readonly SessionEvent[], sizes: readonly number[]): Promise<number> {
    let adopted = 0;
    await this.#db.transaction(
      async (tx) => {
        for (let i = 0; i < events.length; i++) {
          await tx.execute(SQL.insertOrIgnore, ...eventToRow(sessionId, events[i]!, sizes[i]!));
          const [row] = await tx.execute("SELECT changes() AS n");
          if (Number(row?.n) === 1) {
            adopted++;
            this.ledger.add(sessionId, 1, sizes[i]!);
          }
        }
      },
      { name: "durable_agent_adopt" },
    );
    return adopted;
  }

  async scan(sessionId: string, afterIndex: number, limit: number): Promise<SessionEvent[]> {
    return (await this.#db.execute(SQL.scan, sessionId, afterIndex, limit)).map(rowToEvent);
  }

  async tail(sessionId: string, limit: number): Promise<SessionEvent[]> {
    return (await this.#db.execute(SQL.tail, sessionId, limit)).map(rowToEvent).reverse();
  }

  async insert(sessionId: string, events: readonly SessionEvent[], sizes: readonly number[]): Promise<EventClash[] | undefined> {
    const clashes = await this.#db.transaction(
      async (tx) => {
        const found: EventClash[] = [];
        const byId = new Map(events.map((event) => [event.id, event]));
        const byIndex = new Map(events.map((event) => [event.eventIndex, event]));
        for (const part of chunks(events, MAX_BATCH)) {
          for (const row of await tx.execute(SQL.holders(part.length), ...part.map((e) => e.id))) {
            found.push({ event: byId.get(row.id as string)!, storedWithId: rowToEvent(row) });
            byIndex.delete(byId.get(row.id as string)!.eventIndex);
          }
        }
        for (const part of chunks([...byIndex.keys()], MAX_BATCH)) {
          for (const row of await tx.execute(SQL.takenIndexes(part.length), sessionId, ...part)) {
            found.push({ event: byIndex.get(Number(row.event_index))!, indexTaken: true });
          }
        }
        if (found.length > 0) return found;
        for (const part of chunks(events.map((event, i) => [event, sizes[i]!] as const), MAX_BATCH)) {
          await tx.execute(SQL.insert(part.length), ...part.flatMap(([event, bytes]) => eventToRow(sessionId, event, bytes)));
        }
        return undefined;
      },
      { name: "durable_agent_insert_events" },
    );
    if (clashes === undefined) this.ledger.add(sessionId, events.length, sizes.reduce((sum, n) => sum + n, 0));
    return clashes;
  }

  async dropOldest(sessionId: string, count: number): Promise<number> {
    const rows = await this.#db.execute(SQL.oldest, sessionId, count);
    return this.#dropRows(sessionId, rows);
  }

  async dropOldestBytes(sessionId: string, bytes: number): Promise<number> {
    // Read a page at a time until enough is found: the events are sized in their rows.
    const picked: Record<string, unknown>[] = [];
    let freed = 0;
    for (let page = 64; freed < bytes; page *= 2) {
      const rows = await this.#db.execute(SQL.oldest, sessionId, page);
      picked.length = 0;
      freed = 0;
      for (const row of rows) {
        if (freed >= bytes) break;
        picked.push(row);
        freed += Number(row.bytes);
      }
      if (rows.length < page) break;
    }
    return this.#dropRows(sessionId, picked);
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.#db.execute(SQL.deleteSession, sessionId);
    this.ledger.remove(sessionId);
  }

  async #dropRows(sessionId: string, rows: readonly Record<string, unknown>[]): Promise<number> {
    if (rows.length === 0) return 0;
    const upTo = Number(rows[rows.length - 1]!.event_index);
    await this.#db.execute(SQL.deleteUpTo, sessionId, upTo);
    this.ledger.add(sessionId, -rows.length, -rows.reduce((sum, row) => sum + Number(row.bytes), 0));
    return rows.length;
  }
}
