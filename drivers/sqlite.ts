/**
 * `durable-agent/sqlite`: a session persistence driver on SQLite, through better-sqlite3
 * (an optional peer dependency that only this entry point imports).
 * @packageDocumentation
 */
import Database from "better-sqlite3";
import { decodeEventCursor, decodeSessionCursor, encodeEventCursor, encodeSessionCursor } from "../src/persist/cursor.js";
import { sameEvent } from "../src/persist/equality.js";
import { DriverClosedError, EventConflictError } from "../src/persist/errors.js";
import {
  parseListEventsRequest,
  parseListPageRequest,
  parseSessionEvent,
  parseSessionEvents,
  parseSessionId,
  parseSessionRecord,
  parseTailLimit,
} from "../src/persist/schemas.js";
import type {
  ListEventsRequest,
  ListPage,
  ListPageRequest,
  SessionEvent,
  SessionPersistCapabilities,
  SessionPersistDriver,
  SessionRecord,
} from "../src/persist/types.js";
import { type CommonOptions, openDatabase, type SQLiteSessionPersistDriverOptions } from "./sqlite/connection.js";
import { tableNames } from "./sqlite/names.js";
import { payloadJson, rowToEvent, rowToSession, sessionParams } from "./sqlite/rows.js";
import { migrate } from "./sqlite/schema.js";
import { prepareStatements, type Statements } from "./sqlite/statements.js";

export type { SQLiteSessionPersistDriverOptions } from "./sqlite/connection.js";
export { UnsupportedSchemaVersionError } from "./sqlite/errors.js";
export { DEFAULT_TABLE_PREFIX } from "./sqlite/names.js";
export { LATEST_SCHEMA_VERSION } from "./sqlite/schema.js";

const DRIVER_NAME = "SQLiteSessionPersistDriver";

/**
 * Session persistence on SQLite. Events are stored once per id (an identical re-insert is
 * a no-op, a different event under a known id or a taken `eventIndex` is an
 * `EventConflictError`), listings use keyset cursors whose cost does not grow with their
 * position, and a process crash never loses an acknowledged write. Several processes can
 * share one file. See docs/drivers/sqlite.md for the schema and every guarantee.
 *
 * ```ts
 * const persist = new SQLiteSessionPersistDriver({ filename: "./sessions.db" });
 * ```
 */
export class SQLiteSessionPersistDriver implements SessionPersistDriver, SessionPersistCapabilities {
  readonly #db: Database.Database;
  readonly #ownsDb: boolean;
  #statements: Statements | undefined;
  readonly #insertBatch: (events: readonly SessionEvent[], payloads: readonly string[]) => void;
  readonly #deleteAll: (id: string) => void;

  /**
   * Open the database, create or migrate its tables, and prepare every statement.
   * @throws PersistValidationError on bad options (nothing is opened).
   * @throws UnsupportedSchemaVersionError when the tables were created by a newer release.
   */
  constructor(options: SQLiteSessionPersistDriverOptions) {
    const names = tableNames((options as CommonOptions | undefined)?.tablePrefix);
    const { db, owned } = openDatabase(options);
    try {
      migrate(db, names);
      this.#statements = prepareStatements(db, names);
    } catch (error) {
      if (owned) db.close();
      throw error;
    }
    this.#db = db;
    this.#ownsDb = owned;

    const s = this.#statements;
    // IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so a batch
    // never fails half-way because another connection wrote since it started reading.
    const batch = db.transaction((events: readonly SessionEvent[], payloads: readonly string[]) => {
      for (let i = 0; i < events.length; i++) writeEvent(s, events[i] as SessionEvent, payloads[i] as string);
    });
    this.#insertBatch = (events, payloads) => batch.immediate(events, payloads);
    const remove = db.transaction((id: string) => {
      s.deleteEvents.run(id);
      s.deleteSession.run(id);
    });
    this.#deleteAll = (id) => remove.immediate(id);
  }

  #live(): Statements {
    if (this.#statements === undefined) throw new DriverClosedError(DRIVER_NAME);
    return this.#statements;
  }

  /** The record with this id, or `undefined` when none is stored. Returns a fresh copy. */
  async getSession(id: string): Promise<SessionRecord | undefined> {
    const s = this.#live();
    const row = s.getSession.get(parseSessionId(id));
    return row === undefined ? undefined : rowToSession(row);
  }

  /** One page of session records by ascending `(createdAt, id)`. */
  async listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>> {
    const s = this.#live();
    const { cursor, limit } = parseListPageRequest(request);
    let rows;
    if (cursor === undefined) {
      rows = s.sessionsFirst.all(limit + 1);
    } else {
      const after = decodeSessionCursor(cursor);
      rows = s.sessionsAfter.all(after.afterCreatedAt, after.afterId, limit + 1);
    }
    const more = rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(rowToSession);
    const last = items[items.length - 1];
    return more && last
      ? { items, nextCursor: encodeSessionCursor({ afterCreatedAt: last.createdAt, afterId: last.id }) }
      : { items };
  }

  /** Insert or replace the record with `session.id`, storing every field. */
  async updateSession(session: SessionRecord): Promise<void> {
    const s = this.#live();
    const valid = parseSessionRecord(session);
    s.upsertSession.run(...sessionParams(valid));
  }

  /**
   * Store the record unless one with its id exists: `true` when stored, `false` (nothing
   * changed) when taken. One `INSERT ... ON CONFLICT DO NOTHING`, so of several connections
   * or processes racing on one id exactly one stores its record.
   */
  async insertSession(session: SessionRecord): Promise<boolean> {
    const s = this.#live();
    return s.insertSession.run(...sessionParams(parseSessionRecord(session))).changes === 1;
  }

  /** One page of a session's events by ascending `eventIndex`. */
  async listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    const s = this.#live();
    const { sessionId, cursor, limit } = parseListEventsRequest(request);
    const afterIndex = cursor === undefined ? -1 : decodeEventCursor(cursor, sessionId).afterIndex;
    const rows = s.eventsAfter.all(sessionId, afterIndex, limit + 1);
    const more = rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(rowToEvent);
    const last = items[items.length - 1];
    return more && last ? { items, nextCursor: encodeEventCursor({ sessionId, afterIndex: last.eventIndex }) } : { items };
  }

  /**
   * Store one event. Re-inserting an identical event is a no-op.
   * @throws EventConflictError when a different event holds its id or its `eventIndex`.
   */
  async insertEvent(sessionId: string, event: SessionEvent): Promise<void> {
    const s = this.#live();
    const valid = parseSessionEvent(sessionId, event);
    writeEvent(s, valid, payloadJson(valid));
  }

  /**
   * Store several events of one session in one transaction: all of them, or none when any
   * of them conflicts or is invalid.
   */
  async insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<void> {
    this.#live();
    const valid = parseSessionEvents(sessionId, events);
    if (valid.length === 0) return;
    const payloads = valid.map((event, i) => payloadJson(event, `events[${i}].payload`));
    this.#insertBatch(valid, payloads);
  }

  /** The last `limit` events of a session, ascending; one indexed query whatever the session's length. */
  async listLatestEvents(sessionId: string, limit: number): Promise<SessionEvent[]> {
    const s = this.#live();
    const rows = s.latestEvents.all(parseSessionId(sessionId, "sessionId"), parseTailLimit(limit));
    const events = new Array<SessionEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[rows.length - 1 - i] = rowToEvent(rows[i] as (typeof rows)[number]);
    return events;
  }

  /** Delete a session record and all its events in one transaction; unknown ids are a no-op. */
  async deleteSession(id: string): Promise<void> {
    this.#live();
    this.#deleteAll(parseSessionId(id));
  }

  /**
   * Release the statements and close the database file (unless it was handed in through
   * `database`). Every later call rejects with `DriverClosedError`; closing again is a no-op.
   */
  async close(): Promise<void> {
    if (this.#statements === undefined) return;
    this.#statements = undefined;
    if (this.#ownsDb) this.#db.close();
  }
}

/** Insert one validated event, or tell an identical re-insert (no-op) from a conflict. */
function writeEvent(s: Statements, e: SessionEvent, payload: string): void {
  const result = s.insertEvent.run(e.id, e.sessionId, e.eventIndex, e.createdAt, e.connectionId, e.sender, payload);
  if (result.changes === 1) return;
  // Nothing was written: the id or the (session_id, event_index) pair is taken.
  const stored = s.eventById.get(e.id);
  if (stored === undefined) throw new EventConflictError("eventIndex", e.sessionId, e.id, e.eventIndex);
  if (!sameEvent(rowToEvent(stored), e)) throw new EventConflictError("id", e.sessionId, e.id, e.eventIndex);
}
