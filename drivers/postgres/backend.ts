import type { Pool, PoolClient, QueryResult } from "pg";
import type { EventClash, PersistBackend, SessionKey } from "../../src/persist/backend.js";
import type { ValidationIssue } from "../../src/persist/errors.js";
import type { LeaseAcquireResult, SessionLease } from "../../src/persist/leases.js";
import type { ListEventsRequest, ListPage, SessionEvent, SessionRecord } from "../../src/persist/types.js";
import { openPool } from "./connection.js";
import { asValidationError, isUniqueViolation } from "./errors.js";
import { PostgresLeases } from "./leases.js";
import { followSession, type FollowSessionOptions, type SessionFollower } from "./live.js";
import type { TableNames } from "./names.js";
import type { ResolvedOptions } from "./options.js";
import { eventParams, rowToEvent, rowToSession, sessionParams, type EventRow, type SessionRow } from "./rows.js";
import { migrate } from "./schema.js";
import { PostgresEventTrim, PostgresSessionActivity } from "./retention.js";
import type { SessionActivity } from "../../src/persist/activity.js";
import { buildStatements, channelOf, type Statement, type Statements } from "./statements.js";
import { unstorableText } from "./text.js";
import { PostgresAgentState } from "./agent-state.js";
import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";

/**
 * PostgreSQL storage through a pg pool: each primitive is one named prepared statement, run
 * once the schema is migrated (on first use). Batches are one statement, so atomic by themselves.
 */
export class PostgresBackend implements PersistBackend {
  readonly #pool: Pool;
  readonly #owned: boolean;
  readonly #names: TableNames;
  readonly #sql: Statements;
  readonly #channel: string;
  readonly #notify: boolean;
  readonly #followers = new Set<SessionFollower>();
  #migrated: Promise<void> | undefined;
  /** Retention's range delete (drivers/postgres/retention.ts). */
  readonly #trim: PostgresEventTrim;
  /** Retention's activity listing (drivers/postgres/retention.ts). */
  readonly #activity: PostgresSessionActivity;
  readonly #agentState: PostgresAgentState;
  readonly #leases: PostgresLeases;

  /** Nothing is connected yet: the first call connects and migrates. */
  constructor(options: ResolvedOptions) {
    const { pool, owned } = openPool(options);
    this.#pool = pool;
    this.#owned = owned;
    this.#names = options.names;
    this.#notify = options.notify;
    this.#channel = channelOf(options.names);
    this.#sql = buildStatements(options.names, options.notify);
    this.#trim = new PostgresEventTrim(pool, options.names);
    this.#activity = new PostgresSessionActivity(pool, options.names);
    this.#agentState = new PostgresAgentState(pool, options.names);
    this.#leases = new PostgresLeases(pool, options.names);
  }

  /** One read by primary key. */
  async readSession(id: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#query<SessionRow>(this.#sql.readSession, [id]);
    return rows[0] === undefined ? undefined : rowToSession(rows[0]);
  }

  /** One `INSERT ... ON CONFLICT (id) DO UPDATE`. */
  async writeSession(record: SessionRecord): Promise<void> {
    await this.#writeRecord(this.#sql.writeSession, record, this.#pool);
  }

  /** One `INSERT ... ON CONFLICT (id) DO NOTHING`: of any number of app servers racing on one id, one stores. */
  async insertSession(record: SessionRecord): Promise<boolean> {
    return (await this.#writeRecord(this.#sql.insertSession, record, this.#pool)) === 1;
  }

  /** A keyset read along `<prefix>sessions_order`; ids in the "C" collation, so code-point order. */
  async scanSessions(after: SessionKey | undefined, limit: number): Promise<SessionRecord[]> {
    const { rows } =
      after === undefined
        ? await this.#query<SessionRow>(this.#sql.sessionsFirst, [limit])
        : await this.#query<SessionRow>(this.#sql.sessionsAfter, [after.createdAt, after.id, limit]);
    return rows.map(rowToSession);
  }

  /** A keyset read along `<prefix>events_order`. */
  async scanEvents(sessionId: string, afterIndex: number, limit: number): Promise<SessionEvent[]> {
    const { rows } = await this.#query<EventRow>(this.#sql.eventsAfter, [sessionId, afterIndex, limit]);
    return rows.map(rowToEvent);
  }

  /** The same index read backwards, then put in ascending order. */
  async readTail(sessionId: string, limit: number): Promise<SessionEvent[]> {
    const { rows } = await this.#query<EventRow>(this.#sql.tail, [sessionId, limit]);
    return rows.reverse().map(rowToEvent);
  }

  /**
   * One event: an `INSERT ... ON CONFLICT DO NOTHING`, whose row count tells. Several: one
   * `INSERT ... SELECT FROM json_to_recordset` that fails whole on any taken key. Either way,
   * a refusal is explained by two reads.
   */
  async insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<readonly EventClash[] | undefined> {
    const refused = await this.#insertRows(this.#pool, sessionId, events);
    return refused === undefined ? undefined : this.#clashes(sessionId, refused);
  }

  /** Insert the events on `on` (the pool, or a client in a transaction): `undefined` when stored, else the events to explain. */
  async #insertRows(on: Pool | PoolClient, sessionId: string, events: readonly SessionEvent[]): Promise<readonly SessionEvent[] | undefined> {
    if (events.length === 1) {
      const event = events[0] as SessionEvent;
      const values = eventParams(event);
      if (this.#notify) values.push(this.#channel);
      let inserted: number | null;
      try {
        inserted = (await this.#query(this.#sql.insertEvent, values, on)).rowCount;
      } catch (error) {
        throw asValidationError(error, "session event", "event.payload");
      }
      return inserted === 1 ? undefined : events;
    }
    // Ascending index order: concurrent batches take their row locks in the same order, so they cannot deadlock.
    const batch = [...events].sort((a, b) => a.eventIndex - b.eventIndex);
    const json = JSON.stringify(batch);
    try {
      await this.#query(this.#sql.insertEvents, this.#notify ? [json, this.#channel, sessionId] : [json], on);
      return undefined;
    } catch (error) {
      if (!isUniqueViolation(error)) throw asValidationError(error, "session events", "events");
    }
    return batch;
  }

  /** One keyset query, each row with three seeks on the events' unique index (drivers/postgres/retention.ts). */
  async scanSessionActivity(after: SessionKey | undefined, limit: number): Promise<SessionActivity[]> {
    await this.#ready();
    return this.#activity.scan(after, limit);
  }

  /** One statement: the range `DELETE` and the marker's insert (drivers/postgres/retention.ts). */
  async deleteEventsBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): Promise<number> {
    await this.#ready();
    return this.#trim.deleteBefore(sessionId, beforeIndex, marker);
  }

  /** The record and its events, in one statement. */
  async deleteSession(id: string): Promise<void> {
    await this.#agentState.delete(id, undefined);
    await this.#query(this.#sql.deleteSession, [id]);
  }

  /** One conditional upsert on the server's clock (see drivers/postgres/leases.ts). */
  acquireLease(sessionId: string, holder: string, ttlMs: number): Promise<LeaseAcquireResult> {
    return this.#leases.acquire(sessionId, holder, ttlMs);
  }

  /** One conditional UPDATE by token. */
  renewLease(lease: SessionLease, ttlMs: number): Promise<SessionLease> {
    return this.#leases.renew(lease, ttlMs);
  }

  /** One conditional UPDATE by token. */
  releaseLease(lease: SessionLease): Promise<void> {
    return this.#leases.release(lease);
  }

  /** One read by primary key. */
  readLease(sessionId: string): Promise<SessionLease | undefined> {
    return this.#leases.read(sessionId);
  }

  /**
   * The insert in a transaction holding the lease row FOR SHARE after checking the token; the
   * clashes of a refused batch are read after it ended (on the pool, so a pool of one connection works).
   */
  async insertEventsFenced(lease: SessionLease, events: readonly SessionEvent[]): Promise<readonly EventClash[] | undefined> {
    await this.#ready(); // migrate before the transaction holds a connection (a pool of one would wait on itself)
    const refused = await this.#leases.fenced(lease, (client) => this.#insertRows(client, lease.sessionId, events));
    return refused === undefined ? undefined : this.#clashes(lease.sessionId, refused);
  }

  /** The upsert in a transaction holding the lease row FOR SHARE after checking the token. */
  async writeSessionFenced(lease: SessionLease, record: SessionRecord): Promise<void> {
    await this.#ready();
    await this.#leases.fenced(lease, (client) => this.#writeRecord(this.#sql.writeSession, record, client));
  }

  /** One statement (a growing file row and its new chunk), or one transaction to replace (see drivers/postgres/agent-state.ts). */
  appendAgentState(write: AgentStateWrite): Promise<number | undefined> {
    return this.#agentState.append(write);
  }

  /** The file row and its chunks in one statement. */
  readAgentState(sessionId: string, path: string): Promise<Uint8Array | undefined> {
    return this.#agentState.read(sessionId, path);
  }

  /** One read along the files' primary key. */
  listAgentState(sessionId: string): Promise<AgentStateFileInfo[]> {
    return this.#agentState.list(sessionId);
  }

  /** One file or all of the session's, in one statement. */
  deleteAgentState(sessionId: string, path: string | undefined): Promise<void> {
    return this.#agentState.delete(sessionId, path);
  }

  /** Stop every follower, let a running migration finish, and end the pool when the driver opened it. */
  async close(): Promise<void> {
    await Promise.all([...this.#followers].map((follower) => follower.close()));
    await this.#migrated?.catch(() => undefined);
    await this.#agentState.settle();
    await this.#leases.settle();
    if (this.#owned) await this.#pool.end();
  }

  /** Strings `text` columns cannot hold (U+0000). */
  checkSession(record: SessionRecord): ValidationIssue[] | undefined {
    return unstorableText({
      "session.id": record.id,
      "session.agent": record.agent,
      "session.agentSessionId": record.agentSessionId,
      "session.lastConnectionId": record.lastConnectionId,
      "session.sandboxId": record.sandboxId,
    });
  }

  /** Strings `text` columns cannot hold (U+0000). */
  checkEvent(event: SessionEvent, path: string): ValidationIssue[] | undefined {
    return unstorableText({
      [`${path}.id`]: event.id,
      [`${path}.sessionId`]: event.sessionId,
      [`${path}.connectionId`]: event.connectionId,
    });
  }

  /**
   * Follow a session live (see `PostgresSessionPersistDriver.followSession`); the follower is
   * closed together with the backend.
   */
  async follow(
    sessionId: string,
    onEvents: (events: SessionEvent[]) => void | Promise<void>,
    options: FollowSessionOptions,
    listEvents: (request: ListEventsRequest) => Promise<ListPage<SessionEvent>>,
  ): Promise<SessionFollower> {
    await this.#ready(); // so that the listing works
    const follower = await followSession({ pool: this.#pool, channel: this.#channel, listEvents }, sessionId, onEvents, options);
    const tracked: SessionFollower = {
      close: async () => {
        this.#followers.delete(tracked);
        await follower.close();
      },
    };
    this.#followers.add(tracked);
    return tracked;
  }

  /** What holds the keys of refused events: the events stored under their ids, then the indexes taken. */
  async #clashes(sessionId: string, events: readonly SessionEvent[]): Promise<EventClash[]> {
    const { rows } = await this.#query<EventRow>(this.#sql.eventsById, [events.map((e) => e.id)]);
    const stored = new Map(rows.map((row) => [row.id, rowToEvent(row)]));
    const clashes: EventClash[] = [];
    const unexplained: SessionEvent[] = [];
    for (const event of events) {
      const storedWithId = stored.get(event.id);
      if (storedWithId !== undefined) clashes.push({ event, storedWithId });
      else unexplained.push(event);
    }
    if (unexplained.length === 0) return clashes;
    const taken = await this.#query<{ event_index: string | number }>(this.#sql.indexesTaken, [
      sessionId,
      unexplained.map((e) => e.eventIndex),
    ]);
    const indexes = new Set(taken.rows.map((row) => Number(row.event_index)));
    for (const event of unexplained) if (indexes.has(event.eventIndex)) clashes.push({ event, indexTaken: true });
    return clashes;
  }

  /** Run a session write; resolves to the number of rows written. */
  async #writeRecord(statement: Statement, record: SessionRecord, on: Pool | PoolClient): Promise<number> {
    try {
      return (await this.#query(statement, sessionParams(record), on)).rowCount ?? 0;
    } catch (error) {
      throw asValidationError(error, "session record", "session");
    }
  }

  /** Migrate once per backend (a failed attempt is forgotten, so a later call retries). */
  #ready(): Promise<void> {
    if (this.#migrated === undefined) {
      const attempt = migrate(this.#pool, this.#names).catch((error: unknown) => {
        if (this.#migrated === attempt) this.#migrated = undefined;
        throw error;
      });
      this.#migrated = attempt;
    }
    return this.#migrated;
  }

  /** Run a statement once the schema is migrated, on the pool or on `on` (a client in a transaction). */
  async #query<R extends object>(statement: Statement, values: unknown[], on: Pool | PoolClient = this.#pool): Promise<QueryResult<R>> {
    await this.#ready();
    return on.query<R>({ name: statement.name, text: statement.text, values });
  }
}
