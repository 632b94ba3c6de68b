import pg from "pg";
import type { Pool, PoolClient } from "pg";
import { decodeEventCursor, decodeSessionCursor, encodeEventCursor, encodeSessionCursor } from "../src/persist/cursor.js";
import { DriverClosedError, EventConflictError, PersistValidationError } from "../src/persist/errors.js";
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
import { explainSkipped, type Queryable } from "./postgres/conflicts.js";
import { assertConnectionString } from "./postgres/connection-string.js";
import { dedupeBatch } from "../src/persist/batch.js";
import { asValidationError, isUniqueViolation } from "./postgres/errors.js";
import { tableNames, type TableNames } from "./postgres/identifiers.js";
import { followSession, type FollowSessionOptions, type SessionFollower } from "./postgres/live.js";
import { buildQueries, channelOf, type Queries, type Statement } from "./postgres/queries.js";
import { eventFromRow, eventParams, sessionFromRow, sessionParams, type EventRow, type SessionRow } from "./postgres/rows.js";
import { migrate } from "./postgres/schema.js";
import { assertStorableText } from "./postgres/text.js";

export { PostgresSchemaVersionError } from "./postgres/errors.js";
export type { FollowSessionOptions, SessionFollower } from "./postgres/live.js";
export { LATEST_VERSION as POSTGRES_SCHEMA_VERSION } from "./postgres/schema.js";

/** Options of {@link PostgresSessionPersistDriver}. */
export interface PostgresSessionPersistDriverOptions {
  /**
   * A `postgres://` (or `postgresql://`) connection string; the driver opens its own pool and
   * ends it on `close()`. pg's Unix socket forms (`/var/run/postgresql mydb`,
   * `socket:/var/run/postgresql?db=mydb`) work too; anything else (libpq `key=value` strings
   * included, which pg cannot read) is refused at construction. Give this or `pool`; with
   * neither, pg's `PG*` environment variables apply.
   */
  connectionString?: string;
  /** An existing pool to run on. The caller owns it: `close()` leaves it open. */
  pool?: Pool;
  /** Schema holding the tables, created when missing. Lowercase letters, digits and `_`. Default `"public"`. */
  schema?: string;
  /** Prefix of the table names (`<prefix>sessions`, `<prefix>events`, `<prefix>schema_migrations`). Default `"durable_agent_"`. */
  tablePrefix?: string;
  /**
   * Signal every insert on a LISTEN/NOTIFY channel, so that `followSession` in other
   * processes sees new events as they commit. Default `false` (a NOTIFY serializes commits
   * server-side; turn it on only where something follows sessions live).
   */
  notify?: boolean;
}

const DRIVER_NAME = "PostgresSessionPersistDriver";
/** Attempts at an insert whose blocking row vanished before it could be examined (a concurrent delete). */
const MAX_INSERT_ATTEMPTS = 5;

/**
 * Session storage in PostgreSQL, shared by any number of app servers. Versioned schema
 * migrated on first use; events keyed by id (unique across sessions) and by
 * `(session_id, event_index)`; keyset paging; batch inserts in one statement; tail reads that
 * cost the same whatever the session's length.
 *
 * ```ts
 * const persist = new PostgresSessionPersistDriver({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export class PostgresSessionPersistDriver implements SessionPersistDriver, SessionPersistCapabilities {
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #names: TableNames;
  readonly #sql: Queries;
  readonly #channel: string;
  readonly #notify: boolean;
  readonly #followers = new Set<SessionFollower>();
  #migrated: Promise<void> | undefined;
  #closed = false;

  /**
   * @throws PersistValidationError when `schema` or `tablePrefix` is not a plain identifier, when
   * `connectionString` is not a PostgreSQL URL pg can read, or when both `pool` and
   * `connectionString` are given. Nothing is connected yet: the first call connects.
   */
  constructor(options: PostgresSessionPersistDriverOptions = {}) {
    this.#names = tableNames(options.schema ?? "public", options.tablePrefix ?? "durable_agent_");
    if (options.pool !== undefined && options.connectionString !== undefined) {
      throw new PersistValidationError("PostgreSQL driver options", [
        { path: "options", message: "give either connectionString or pool, not both" },
      ]);
    }
    if (options.connectionString !== undefined) assertConnectionString(options.connectionString);
    this.#notify = options.notify === true;
    this.#channel = channelOf(this.#names);
    this.#sql = buildQueries(this.#names, this.#notify);
    this.#ownsPool = options.pool === undefined;
    if (options.pool !== undefined) {
      this.#pool = options.pool;
    } else {
      this.#pool = new pg.Pool(options.connectionString === undefined ? {} : { connectionString: options.connectionString });
      // An idle connection dropped by the server emits "error" on the pool; without a
      // listener that would crash the process. The pool discards the connection itself.
      this.#pool.on("error", () => undefined);
    }
  }

  /** The record with this id, or `undefined`. */
  async getSession(id: string): Promise<SessionRecord | undefined> {
    this.#assertOpen();
    const sessionId = parseSessionId(id);
    const { rows } = await this.#query<SessionRow>(this.#sql.getSession, [sessionId]);
    return rows[0] === undefined ? undefined : sessionFromRow(rows[0]);
  }

  /** One page of records by ascending `(createdAt, id)`, ids in code-point order. */
  async listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>> {
    this.#assertOpen();
    const { cursor, limit } = parseListPageRequest(request);
    const after = cursor === undefined ? undefined : decodeSessionCursor(cursor);
    const { rows } =
      after === undefined
        ? await this.#query<SessionRow>(this.#sql.listSessionsFirst, [limit + 1])
        : await this.#query<SessionRow>(this.#sql.listSessionsAfter, [after.afterCreatedAt, after.afterId, limit + 1]);
    const items = rows.slice(0, limit).map(sessionFromRow);
    const last = items[items.length - 1];
    if (rows.length <= limit || last === undefined) return { items };
    return { items, nextCursor: encodeSessionCursor({ afterCreatedAt: last.createdAt, afterId: last.id }) };
  }

  /** Insert or replace the record, every field (absent optional fields are cleared). */
  async updateSession(session: SessionRecord): Promise<void> {
    this.#assertOpen();
    await this.#writeRecord(this.#sql.upsertSession, session);
  }

  /**
   * Store the record unless one with its id exists: `true` when stored, `false` (nothing
   * changed) when taken. One `INSERT ... ON CONFLICT DO NOTHING`: of any number of app servers
   * racing on one id, exactly one stores its record.
   */
  async insertSession(session: SessionRecord): Promise<boolean> {
    this.#assertOpen();
    return (await this.#writeRecord(this.#sql.insertSession, session)) === 1;
  }

  /** One page of a session's events by ascending `eventIndex` (keyset: the cost of a page does not depend on its position). */
  async listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    this.#assertOpen();
    const { sessionId, cursor, limit } = parseListEventsRequest(request);
    const afterIndex = cursor === undefined ? -1 : decodeEventCursor(cursor, sessionId).afterIndex;
    const { rows } = await this.#query<EventRow>(this.#sql.listEvents, [sessionId, afterIndex, limit + 1]);
    const items = rows.slice(0, limit).map(eventFromRow);
    const last = items[items.length - 1];
    if (rows.length <= limit || last === undefined) return { items };
    return { items, nextCursor: encodeEventCursor({ sessionId, afterIndex: last.eventIndex }) };
  }

  /** The last `limit` events of a session, ascending, read backwards along the `(session_id, event_index)` index. */
  async listLatestEvents(sessionId: string, limit: number): Promise<SessionEvent[]> {
    this.#assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    const n = parseTailLimit(limit);
    const { rows } = await this.#query<EventRow>(this.#sql.listLatestEvents, [id, n]);
    return rows.reverse().map(eventFromRow);
  }

  /**
   * Store one event. An identical event already stored is a no-op; a different one under its
   * id, or another event at its `(sessionId, eventIndex)`, is an `EventConflictError`.
   */
  async insertEvent(sessionId: string, event: SessionEvent): Promise<void> {
    this.#assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    const checked = parseSessionEvent(id, event);
    assertEventText("session event", "event", checked);
    const values = eventParams(checked);
    if (this.#notify) values.push(this.#channel);
    for (let attempt = 1; ; attempt++) {
      let inserted: number | null;
      try {
        inserted = (await this.#query(this.#sql.insertEvent, values)).rowCount;
      } catch (error) {
        throw asValidationError(error, "session event", "event.payload");
      }
      if (inserted === 1) return;
      const verdict = await explainSkipped(this.#pool as Queryable, this.#sql, id, [checked]);
      if (verdict.kind === "duplicates") return;
      if (verdict.kind === "conflict" || attempt >= MAX_INSERT_ATTEMPTS) throw conflictOf(verdict, id, checked);
    }
  }

  /**
   * Store several events of one session atomically, in one statement: all of them or none.
   * Identical events already stored are skipped; any conflict writes nothing.
   */
  async insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<void> {
    this.#assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    const parsed = parseSessionEvents(id, events);
    parsed.forEach((e, i) => assertEventText("session events", `events[${i}]`, e));
    const batch = dedupeBatch(id, parsed);
    if (batch.length === 0) return;
    // Ascending index order: concurrent batches take their row locks in the same order, so they cannot deadlock.
    batch.sort((a, b) => a.eventIndex - b.eventIndex);
    const json = JSON.stringify(batch);
    // Fast path: one statement that fails whole on any taken key, so it is atomic by itself.
    try {
      await this.#query(this.#sql.insertEventsStrict, this.#notify ? [json, this.#channel, id] : [json]);
      return;
    } catch (error) {
      if (!isUniqueViolation(error)) throw asValidationError(error, "session events", "events");
    }
    // Some key is taken: find out, in a transaction, whether only by identical events.
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      let verdict: Awaited<ReturnType<typeof explainSkipped>>;
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const result = await client.query<{ id: string }>({ ...this.#sql.insertEventsSkipping, values: [json] });
        const inserted = new Set(result.rows.map((row) => row.id));
        const skipped = batch.filter((e) => !inserted.has(e.id));
        verdict = skipped.length === 0 ? { kind: "duplicates" } : await explainSkipped(client as Queryable, this.#sql, id, skipped);
        if (verdict.kind === "duplicates" && inserted.size > 0 && this.#notify) {
          await client.query({ ...this.#sql.notify, values: [this.#channel, id] });
        }
        await client.query(verdict.kind === "duplicates" ? "COMMIT" : "ROLLBACK");
      } catch (error) {
        // A connection whose rollback fails is discarded rather than returned to the pool.
        broken = await rollback(client);
        throw asValidationError(error, "session events", "events");
      } finally {
        client.release(broken);
      }
      if (verdict.kind === "duplicates") return;
      const first = batch[0] as SessionEvent;
      if (verdict.kind === "conflict" || attempt >= MAX_INSERT_ATTEMPTS) throw conflictOf(verdict, id, first);
    }
  }

  /** Delete a record and all its events, in one statement. Unknown ids are a no-op. */
  async deleteSession(id: string): Promise<void> {
    this.#assertOpen();
    const sessionId = parseSessionId(id);
    await this.#query(this.#sql.deleteSession, [sessionId]);
  }

  /**
   * Follow a session live: `onEvents` receives its events in order, first those stored after
   * `options.afterIndex`, then new ones as they are committed by any process whose driver
   * has `notify: true` (on the same schema and prefix). Holds one connection of the pool
   * until the follower is closed (or the driver is).
   */
  async followSession(
    sessionId: string,
    onEvents: (events: SessionEvent[]) => void | Promise<void>,
    options: FollowSessionOptions = {},
  ): Promise<SessionFollower> {
    this.#assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    await this.#query(this.#sql.getSession, [id]); // migrates first, so the listing works
    const follower = await followSession(
      { pool: this.#pool, channel: this.#channel, listEvents: (request) => this.listEvents(request) },
      id,
      onEvents,
      options,
    );
    const tracked: SessionFollower = {
      close: async () => {
        this.#followers.delete(tracked);
        await follower.close();
      },
    };
    this.#followers.add(tracked);
    return tracked;
  }

  /**
   * Stop using the database. Ends the pool when the driver created it (from a connection
   * string); a pool passed in is left open. Further calls reject with `DriverClosedError`;
   * closing again is a no-op.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#followers].map((follower) => follower.close()));
    await this.#migrated?.catch(() => undefined);
    if (this.#ownsPool) await this.#pool.end();
  }

  #assertOpen(): void {
    if (this.#closed) throw new DriverClosedError(DRIVER_NAME);
  }

  /** Validate a record and run a session write with its parameters; resolves to the number of rows written. */
  async #writeRecord(statement: Statement, session: SessionRecord): Promise<number> {
    const record = parseSessionRecord(session);
    assertStorableText("session record", {
      "session.id": record.id,
      "session.agent": record.agent,
      "session.agentSessionId": record.agentSessionId,
      "session.lastConnectionId": record.lastConnectionId,
      "session.sandboxId": record.sandboxId,
    });
    try {
      return (await this.#query(statement, sessionParams(record))).rowCount ?? 0;
    } catch (error) {
      throw asValidationError(error, "session record", "session");
    }
  }

  /** Run a statement once the schema is migrated (on first use of this driver instance). */
  async #query<R extends object>(statement: Statement, values: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.#migrated === undefined) {
      // Forget a failed attempt, so a later call retries (e.g. after the server came back).
      const attempt = migrate(this.#pool, this.#names).catch((error: unknown) => {
        if (this.#migrated === attempt) this.#migrated = undefined;
        throw error;
      });
      this.#migrated = attempt;
    }
    await this.#migrated;
    this.#assertOpen();
    return this.#pool.query<R>({ name: statement.name, text: statement.text, values });
  }
}

function assertEventText(what: string, path: string, event: SessionEvent): void {
  assertStorableText(what, {
    [`${path}.id`]: event.id,
    [`${path}.sessionId`]: event.sessionId,
    [`${path}.connectionId`]: event.connectionId,
  });
}

function conflictOf(verdict: Awaited<ReturnType<typeof explainSkipped>>, sessionId: string, event: SessionEvent): Error {
  if (verdict.kind === "conflict") return verdict.error;
  // The blocking row kept vanishing (concurrent deletes): report the index as taken.
  return new EventConflictError("eventIndex", sessionId, event.id, event.eventIndex);
}

/** Roll back; resolves to the error when even that failed (the connection is unusable). */
async function rollback(client: PoolClient): Promise<Error | undefined> {
  try {
    await client.query("ROLLBACK");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
