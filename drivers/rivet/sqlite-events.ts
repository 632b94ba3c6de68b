import type { EventClash } from "../../src/persist/backend.js";
import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import type { RivetSqlDatabase } from "./context.js";
import { Ledger, type EventBounds, type EventStore } from "./event-store.js";
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
 * history already holds, and is stored whole or not at all.
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
    // Insert first: a batch of up to MAX_BATCH events is one statement, which SQLite applies
    // whole or not at all; a longer one is one transaction. Only when a key is taken are the
    // holders read (the common path is one round trip to the database).
    const parts = chunks(events.map((event, i) => [event, sizes[i]!] as const), MAX_BATCH);
    const insertPart = (db: Pick<RivetSqlDatabase, "execute">, part: (typeof parts)[number]) =>
      db.execute(SQL.insert(part.length), ...part.flatMap(([event, bytes]) => eventToRow(sessionId, event, bytes)));
    try {
      if (parts.length === 1) await insertPart(this.#db, parts[0]!);
      else await this.#db.transaction(async (tx) => {
        for (const part of parts) await insertPart(tx, part);
      }, { name: "durable_agent_insert_events" });
    } catch (error) {
      // Nothing was written. RivetKit does not pass SQLite's message on ("An internal error
      // occurred"), so a taken key is told by looking: holders found are the clashes; none
      // means the failure was something else, which propagates. (Writes of one driver run one
      // at a time, so no delete can free a key in between.)
      const clashes = await this.#clashes(sessionId, events);
      if (clashes.length > 0) return clashes;
      throw error;
    }
    this.ledger.add(sessionId, events.length, sizes.reduce((sum, n) => sum + n, 0));
    return undefined;
  }

  /** What holds the ids and indexes of `events`: the stored event under an id, or a taken index. */
  async #clashes(sessionId: string, events: readonly SessionEvent[]): Promise<EventClash[]> {
    const found: EventClash[] = [];
    const byId = new Map(events.map((event) => [event.id, event]));
    const byIndex = new Map(events.map((event) => [event.eventIndex, event]));
    for (const part of chunks(events, MAX_BATCH)) {
      for (const row of await this.#db.execute(SQL.holders(part.length), ...part.map((e) => e.id))) {
        const event = byId.get(row.id as string)!;
        found.push({ event, storedWithId: rowToEvent(row) });
        byIndex.delete(event.eventIndex);
      }
    }
    for (const part of chunks([...byIndex.keys()], MAX_BATCH)) {
      for (const row of await this.#db.execute(SQL.takenIndexes(part.length), sessionId, ...part)) {
        found.push({ event: byIndex.get(Number(row.event_index))!, indexTaken: true });
      }
    }
    return found;
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

  async deleteBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined, markerBytes: number): Promise<number> {
    // One transaction: count what goes (for the caps' usage), the range delete, the marker's
    // insert. A marker whose id is still held refuses the insert: thrown inside, so the delete
    // is rolled back too.
    const { events, bytes } = await this.#db.transaction(
      async (tx) => {
        const [usage] = await tx.execute(SQL.trimUsage, sessionId, beforeIndex);
        const count = Number(usage?.events ?? 0);
        if (count === 0) return { events: 0, bytes: 0 };
        await tx.execute(SQL.deleteBefore, sessionId, beforeIndex);
        if (marker !== undefined) {
          await tx.execute(SQL.insertOrIgnore, ...eventToRow(sessionId, marker, markerBytes));
          const [row] = await tx.execute("SELECT changes() AS n");
          if (Number(row?.n) !== 1) throw new EventConflictError("id", sessionId, marker.id, marker.eventIndex);
        }
        return { events: count, bytes: Number(usage?.bytes ?? 0) };
      },
      { name: "durable_agent_trim" },
    );
    if (events > 0) this.ledger.add(sessionId, -events + (marker ? 1 : 0), -bytes + (marker ? markerBytes : 0));
    return events;
  }

  async bounds(sessionIds: readonly string[]): Promise<Map<string, EventBounds>> {
    const found = new Map<string, EventBounds>();
    for (const part of chunks(sessionIds, MAX_BATCH)) {
      for (const row of await this.#db.execute(SQL.bounds(part.length), ...part)) {
        found.set(row.session_id as string, { first: Number(row.first_index), last: Number(row.last_index), lastAt: Number(row.last_at) });
      }
    }
    return found;
  }

  async #dropRows(sessionId: string, rows: readonly Record<string, unknown>[]): Promise<number> {
    if (rows.length === 0) return 0;
    const upTo = Number(rows[rows.length - 1]!.event_index);
    await this.#db.execute(SQL.deleteUpTo, sessionId, upTo);
    this.ledger.add(sessionId, -rows.length, -rows.reduce((sum, row) => sum + Number(row.bytes), 0));
    return rows.length;
  }
}
