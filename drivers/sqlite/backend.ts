import type Database from "better-sqlite3";
import type { EventClash, PersistBackend, SessionKey } from "../../src/persist/backend.js";
import type { LeaseAcquireResult, SessionLease } from "../../src/persist/leases.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import { openDatabase } from "./connection.js";
import { SQLiteLeases } from "./leases.js";
import type { ResolvedOptions } from "./options.js";
import { eventParams, payloadJson, rowToEvent, rowToSession, sessionParams, type EventRow } from "./rows.js";
import { migrate } from "./schema.js";
import { prepareStatements, type Statements } from "./statements.js";
import { SQLiteEventTrim, SQLiteSessionActivity } from "./retention.js";
import type { SessionActivity } from "../../src/persist/activity.js";
import { SQLiteAgentState } from "./agent-state.js";
import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";

/** Thrown inside a batch transaction to roll it back, carrying what refused the batch. */
class Refused {
  constructor(readonly clashes: EventClash[]) {}
}

/**
 * SQLite storage through better-sqlite3: every primitive is one prepared statement (or one
 * `BEGIN IMMEDIATE` transaction of them), answered synchronously.
 */
export class SQLiteBackend implements PersistBackend {
  readonly #db: Database.Database;
  readonly #owned: boolean;
  readonly #s: Statements;
  /** Retention's range delete (drivers/sqlite/retention.ts). */
  readonly #trim: SQLiteEventTrim;
  /** Retention's activity listing (drivers/sqlite/retention.ts). */
  readonly #activity: SQLiteSessionActivity;
  readonly #insertBatch: (events: readonly SessionEvent[], payloads: readonly string[]) => void;
  readonly #deleteAll: (id: string) => void;
  readonly #agentState: SQLiteAgentState;
  readonly #leases: SQLiteLeases;

  /**
   * Open the database, create or migrate its tables, and prepare every statement.
   * @throws SQLiteSchemaVersionError when the tables were created by a newer release (an owned file is closed again).
   */
  constructor(options: ResolvedOptions) {
    const { db, owned } = openDatabase(options);
    let s: Statements;
    let agentState: SQLiteAgentState;
    let leases: SQLiteLeases;
    try {
      migrate(db, options.names);
      s = prepareStatements(db, options.names);
      agentState = new SQLiteAgentState(db, options.names.prefix);
      leases = new SQLiteLeases(db, options.names.prefix);
    } catch (error) {
      if (owned) db.close();
      throw error;
    }
    this.#db = db;
    this.#owned = owned;
    this.#s = s;
    this.#trim = new SQLiteEventTrim(db, options.names);
    this.#activity = new SQLiteSessionActivity(db, options.names);
    this.#agentState = agentState;
    this.#leases = leases;
    // IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so a batch
    // never fails half-way because another connection wrote since it started reading.
    const batch = db.transaction((events: readonly SessionEvent[], payloads: readonly string[]) => {
      let clashes: EventClash[] | undefined;
      for (let i = 0; i < events.length; i++) {
        const event = events[i] as SessionEvent;
        if (s.insertEvent.run(...eventParams(event, payloads[i] as string)).changes !== 1) (clashes ??= []).push(this.#clash(event));
      }
      if (clashes !== undefined) throw new Refused(clashes);
    });
    this.#insertBatch = (events, payloads) => batch.immediate(events, payloads);
    const remove = db.transaction((id: string) => {
      s.deleteEvents.run(id);
      s.deleteSession.run(id);
      agentState.deleteSession(id);
    });
    this.#deleteAll = (id) => remove.immediate(id);
  }

  /** One indexed read by primary key. */
  readSession(id: string): SessionRecord | undefined {
    const row = this.#s.readSession.get(id);
    return row === undefined ? undefined : rowToSession(row);
  }

  /** One `INSERT ... ON CONFLICT (id) DO UPDATE`. */
  writeSession(record: SessionRecord): void {
    this.#s.writeSession.run(...sessionParams(record));
  }

  /** One `INSERT ... ON CONFLICT (id) DO NOTHING`: of several connections or processes racing on one id, one stores. */
  insertSession(record: SessionRecord): boolean {
    return this.#s.insertSession.run(...sessionParams(record)).changes === 1;
  }

  /** A keyset read along `<prefix>sessions_created_at_id`. */
  scanSessions(after: SessionKey | undefined, limit: number): SessionRecord[] {
    const rows = after === undefined ? this.#s.sessionsFirst.all(limit) : this.#s.sessionsAfter.all(after.createdAt, after.id, limit);
    return rows.map(rowToSession);
  }

  /** A keyset read along the `(session_id, event_index)` index. */
  scanEvents(sessionId: string, afterIndex: number, limit: number): SessionEvent[] {
    return this.#s.eventsAfter.all(sessionId, afterIndex, limit).map(rowToEvent);
  }

  /** The same index read backwards, then put in ascending order. */
  readTail(sessionId: string, limit: number): SessionEvent[] {
    const rows = this.#s.tail.all(sessionId, limit);
    const events = new Array<SessionEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[rows.length - 1 - i] = rowToEvent(rows[i] as EventRow);
    return events;
  }

  /**
   * One event: a plain `INSERT ... ON CONFLICT DO NOTHING` (its own transaction). Several: all
   * of them in one `BEGIN IMMEDIATE` transaction, rolled back when any is refused.
   */
  insertEvents(_sessionId: string, events: readonly SessionEvent[]): readonly EventClash[] | undefined {
    if (events.length === 1) {
      const event = events[0] as SessionEvent;
      if (this.#s.insertEvent.run(...eventParams(event, payloadJson(event))).changes === 1) return undefined;
      return [this.#clash(event)];
    }
    const payloads = events.map((event, i) => payloadJson(event, `events[${i}].payload`));
    try {
      this.#insertBatch(events, payloads);
      return undefined;
    } catch (error) {
      if (error instanceof Refused) return error.clashes;
      throw error;
    }
  }

  /** One keyset query, each row with three seeks on the events' key (drivers/sqlite/retention.ts). */
  scanSessionActivity(after: SessionKey | undefined, limit: number): SessionActivity[] {
    return this.#activity.scan(after, limit);
  }

  /** One range `DELETE` and the marker's insert in one `BEGIN IMMEDIATE` transaction (drivers/sqlite/retention.ts). */
  deleteEventsBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): number {
    return this.#trim.deleteBefore(sessionId, beforeIndex, marker);
  }

  /** Both deletes in one `BEGIN IMMEDIATE` transaction. */
  deleteSession(id: string): void {
    this.#deleteAll(id);
  }

  /** Read, decide and write the lease row in one `BEGIN IMMEDIATE` transaction (see drivers/sqlite/leases.ts). */
  acquireLease(sessionId: string, holder: string, ttlMs: number): LeaseAcquireResult {
    return this.#leases.acquire(sessionId, holder, ttlMs);
  }

  /** Extend the lease while its token is current, in one transaction. */
  renewLease(lease: SessionLease, ttlMs: number): SessionLease {
    return this.#leases.renew(lease, ttlMs);
  }

  /** Expire the lease while its token is current, in one transaction. */
  releaseLease(lease: SessionLease): void {
    this.#leases.release(lease);
  }

  /** One read by primary key. */
  readLease(sessionId: string): SessionLease | undefined {
    return this.#leases.read(sessionId);
  }

  /** The token check and the insert in one `BEGIN IMMEDIATE` transaction. */
  insertEventsFenced(lease: SessionLease, events: readonly SessionEvent[]): readonly EventClash[] | undefined {
    return this.#leases.fenced(lease, () => this.insertEvents(lease.sessionId, events));
  }

  /** The token check and the upsert in one `BEGIN IMMEDIATE` transaction. */
  writeSessionFenced(lease: SessionLease, record: SessionRecord): void {
    this.#leases.fenced(lease, () => this.writeSession(record));
  }

  /** The size check and the write in one `BEGIN IMMEDIATE` transaction (see drivers/sqlite/agent-state.ts). */
  appendAgentState(write: AgentStateWrite): number | undefined {
    return this.#agentState.append(write);
  }

  /** The file's chunks in one read transaction, concatenated. */
  readAgentState(sessionId: string, path: string): Uint8Array | undefined {
    return this.#agentState.read(sessionId, path);
  }

  /** One read along the files' primary key. */
  listAgentState(sessionId: string): AgentStateFileInfo[] {
    return this.#agentState.list(sessionId);
  }

  /** One file or all of the session's, in one transaction. */
  deleteAgentState(sessionId: string, path: string | undefined): void {
    this.#agentState.delete(sessionId, path);
  }

  /** Close the file, unless it was handed in through `database` (its owner closes it). */
  close(): void {
    if (this.#owned) this.#db.close();
  }

  /** What holds the keys of an event the database refused. */
  #clash(event: SessionEvent): EventClash {
    const stored = this.#s.eventById.get(event.id);
    if (stored !== undefined) return { event, storedWithId: rowToEvent(stored) };
    return { event, indexTaken: this.#s.indexTaken.get(event.sessionId, event.eventIndex) !== undefined };
  }
}
