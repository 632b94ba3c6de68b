import type { SessionActivity } from "../../src/persist/activity.js";
import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import type { AgentStateWrite, EventClash, PersistBackend, SessionKey } from "../../src/persist/backend.js";
import type { ValidationIssue } from "../../src/persist/errors.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import { RivetAgentState } from "./agent-state.js";
import { actorDatabase, type RivetActorContext } from "./context.js";
import { RivetStateError } from "./errors.js";
import { eventBytes, type EventStore } from "./event-store.js";
import { limitsFor, type ResolvedRivetOptions, type RetentionLimits } from "./options.js";
import { StateRecords } from "./records.js";
import { Retention, type RetentionReport } from "./retention.js";
import { SqliteEventStore } from "./sqlite-events.js";
import { SqliteRecordStore } from "./sqlite-records.js";
import { StateEventStore } from "./state-events.js";
import { bookkeepingOf, eventFromState, openPersistData, recordFromState, type RivetPersistBookkeeping, type RivetPersistData } from "./state.js";

/** What {@link RivetBackend.retention} tells: the caps, where events are, and what the caps dropped so far. */
export interface RivetRetentionStatus {
  /** Where events are stored. */
  eventStorage: "state" | "sqlite";
  /** The caps in force. */
  limits: RetentionLimits;
  /** Sessions dropped by the caps, ever (kept in the actor state). */
  droppedSessions: number;
  /** Events dropped by the caps, ever. */
  droppedEvents: number;
  /** The latest drop. */
  lastDrop: RetentionReport | undefined;
  /** Bytes of events stored now (UTF-8 JSON). */
  bytes: number;
}

/**
 * The Rivet backend, in one of two storages:
 *
 * - SQLite (`c.db`): records and events in the actor's database,
 *   committed before a write resolves; the records are mirrored into
 *   `c.state[stateKey].sessions`, the reference layout, for code that reads the state.
 * - State: records and events in `c.state[stateKey]`, the reference layout. A write asks
 *   RivetKit to save the state at once but cannot wait for it: RivetKit saves nothing while
 *   `createVars` runs, where the driver is used (see docs/drivers/rivet.md).
 *
 * Writes run one at a time (an actor's actions interleave at every await).
 *
 * Event trims and session activity work in both storages. The agent state primitives are own
 * properties set in SQLite mode only (the kit installs the capability when they are present):
 * in state mode every save would encode the transcripts again (see docs/drivers/rivet.md).
 */
export class RivetBackend implements PersistBackend {
  /** Agent state (SQLite mode only): see {@link RivetAgentState}. */
  declare readonly appendAgentState?: (write: AgentStateWrite) => Promise<number | undefined>;
  /** Agent state (SQLite mode only). */
  declare readonly readAgentState?: (sessionId: string, path: string) => Promise<Uint8Array | undefined>;
  /** Agent state (SQLite mode only). */
  declare readonly listAgentState?: (sessionId: string) => Promise<AgentStateFileInfo[]>;
  /** Agent state (SQLite mode only). */
  declare readonly deleteAgentState?: (sessionId: string, path: string | undefined) => Promise<void>;

  readonly #ctx: RivetActorContext;
  readonly #stateKey: string;
  readonly #data: RivetPersistData;
  readonly #records: StateRecords;
  readonly #events: EventStore;
  /** The durable records, in SQLite mode. */
  readonly #sqlRecords: SqliteRecordStore | undefined;
  readonly #retention: Retention;
  /** The agent state files, in SQLite mode. */
  readonly #agentState: RivetAgentState | undefined;
  readonly #onRetention: ((report: RetentionReport) => void) | undefined;
  /** Sessions already warned about for trimmed events (one warning per session per driver). */
  readonly #warned = new Set<string>();
  /** Sizes of events seen by checkEvent, so insertEvents does not measure them twice. */
  readonly #sizes = new WeakMap<SessionEvent, number>();
  #ready: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @throws RivetStateError when the state key holds something else, or events are in a
   * database the actor no longer declares; PersistValidationError-free: options were checked.
   */
  constructor(ctx: RivetActorContext, options: ResolvedRivetOptions) {
    this.#ctx = ctx;
    this.#stateKey = options.stateKey;
    this.#onRetention = options.onRetention;
    this.#data = openPersistData(ctx.state, options.stateKey);
    const recorded = this.#data.durableAgent?.eventStorage;
    const db = options.events === "state" ? undefined : actorDatabase(ctx);
    if (options.events === "sqlite" && db === undefined) {
      throw new RivetStateError(options.stateKey, 'events: "sqlite" needs the actor\'s database: declare `db: db()` (from "rivetkit/db") on the actor');
    }
    if (recorded === "sqlite" && db === undefined) {
      throw new RivetStateError(
        options.stateKey,
        "this actor's events are in its SQLite database, but the driver was opened without it (declare `db: db()` on the actor and leave `events` at \"auto\" or \"sqlite\")",
      );
    }
    this.#events = db ? new SqliteEventStore(db) : new StateEventStore(this.#data);
    this.#sqlRecords = db ? new SqliteRecordStore(db) : undefined;
    this.#records = new StateRecords(this.#data);
    this.#agentState = db ? new RivetAgentState(db) : undefined;
    this.#retention = new Retention(
      limitsFor(this.#events.kind, options.limits),
      this.#records,
      this.#events,
      // A session the caps drop goes whole: its agent state files with its record.
      async (id) => {
        await this.#agentState?.delete(id, undefined);
        await this.#deleteRecord(id);
      },
      (report) => this.#dropped(report),
    );
    if (this.#agentState !== undefined) this.#installAgentState(this.#agentState);
  }

  /** Where events are stored, the caps, and what they dropped. */
  retention(): RivetRetentionStatus {
    const book = this.#data.durableAgent;
    return {
      eventStorage: this.#events.kind,
      limits: { ...this.#retention.limits },
      droppedSessions: book?.droppedSessions ?? 0,
      droppedEvents: book?.droppedEvents ?? 0,
      lastDrop: book?.lastDrop && { ...book.lastDrop },
      bytes: this.#events.ledger.bytes,
    };
  }

  async readSession(id: string): Promise<SessionRecord | undefined> {
    await this.#open();
    return this.#records.read(id);
  }

  writeSession(record: SessionRecord): Promise<void> {
    return this.#write(async () => {
      await this.#putRecord(record);
      await this.#retention.enforce(record.id);
      this.#save();
    });
  }

  insertSession(record: SessionRecord): Promise<boolean> {
    return this.#write(async () => {
      // Atomic: writes run one at a time, and the records in memory are complete once open.
      if (this.#records.has(record.id)) return false;
      await this.#putRecord(record);
      await this.#retention.enforce(record.id);
      this.#save();
      return true;
    });
  }

  async scanSessions(after: SessionKey | undefined, limit: number): Promise<SessionRecord[]> {
    await this.#open();
    return this.#records.scan(after, limit);
  }

  async scanEvents(sessionId: string, afterIndex: number, limit: number): Promise<SessionEvent[]> {
    await this.#open();
    return this.#events.scan(sessionId, afterIndex, limit);
  }

  async readTail(sessionId: string, limit: number): Promise<SessionEvent[]> {
    await this.#open();
    return this.#events.tail(sessionId, limit);
  }

  insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<readonly EventClash[] | undefined> {
    return this.#write(async () => {
      const sizes = events.map((event) => this.#sizes.get(event) ?? eventBytes(event));
      const clashes = await this.#events.insert(sessionId, events, sizes);
      if (clashes !== undefined) return clashes;
      const dropped = await this.#retention.enforce(sessionId);
      // In SQLite the rows are committed; the state (its mirror, bookkeeping) changes only when the caps dropped something.
      if (this.#events.kind === "state" || dropped) this.#save();
      return undefined;
    });
  }

  deleteSession(id: string): Promise<void> {
    return this.#write(async () => {
      // Each step is idempotent and the record goes last: a deleteSession cut short is finished by the next.
      await this.#events.deleteSession(id);
      await this.#agentState?.delete(id, undefined);
      await this.#deleteRecord(id);
      this.#save();
    });
  }

  /** The range delete and the marker in one step of the event store (a transaction in SQLite, a splice in the state). */
  deleteEventsBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): Promise<number> {
    return this.#write(async () => {
      const markerBytes = marker === undefined ? 0 : (this.#sizes.get(marker) ?? eventBytes(marker));
      const deleted = await this.#events.deleteBefore(sessionId, beforeIndex, marker, markerBytes);
      if (deleted === 0) return 0;
      await this.#retention.enforce(sessionId);
      this.#save();
      return deleted;
    });
  }

  /** A page of the records (in memory, in listing order) with their events' bounds (one query in SQLite). */
  async scanSessionActivity(after: SessionKey | undefined, limit: number): Promise<SessionActivity[]> {
    await this.#open();
    const records = this.#records.scan(after, limit);
    const bounds = await this.#events.bounds(records.map((record) => record.id));
    return records.map((record) => {
      const b = bounds.get(record.id);
      return b === undefined ? { record } : { record, firstEventIndex: b.first, lastEventIndex: b.last, lastEventAt: b.lastAt };
    });
  }

  close(): void {
    // The actor owns its state and database; nothing to release.
  }

  /** An event larger than `maxBytes` could never be kept: refused before anything is written. */
  checkEvent(event: SessionEvent, path: string): ValidationIssue[] | undefined {
    const bytes = eventBytes(event);
    this.#sizes.set(event, bytes);
    const { maxBytes } = this.#retention.limits;
    return bytes > maxBytes ? [{ path, message: `is ${bytes} bytes of JSON, above the driver's maxBytes (${maxBytes})` }] : undefined;
  }

  /**
   * Set the four agent state primitives as own properties. Reads run in the write queue too:
   * a read never lands between the statements of an append's transaction, however RivetKit
   * shares the database connection.
   */
  #installAgentState(files: RivetAgentState): void {
    const self = this as {
      -readonly [K in "appendAgentState" | "readAgentState" | "listAgentState" | "deleteAgentState"]: RivetBackend[K];
    };
    self.appendAgentState = (write) => this.#write(() => files.append(write));
    self.readAgentState = (sessionId, path) => this.#write(() => files.read(sessionId, path));
    self.listAgentState = (sessionId) => this.#write(() => files.list(sessionId));
    self.deleteAgentState = (sessionId, path) => this.#write(() => files.delete(sessionId, path));
  }

  /** Run a write after the ones before it, once the store is open. */
  #write<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(async () => {
      await this.#open();
      return run();
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #open(): Promise<void> {
    this.#ready ??= this.#prepare();
    return this.#ready;
  }

  async #prepare(): Promise<void> {
    await this.#events.open();
    const book = bookkeepingOf(this.#data, this.#events.kind);
    if (this.#sqlRecords !== undefined) {
      // The database holds the records; records only the state has (a state written by the
      // reference driver, or in state mode) are adopted first, then the mirror is refreshed.
      await this.#sqlRecords.adopt(Object.values(this.#data.sessions).map(recordFromState));
      this.#records.replaceAll(await this.#sqlRecords.all());
    }
    if (this.#events instanceof SqliteEventStore) {
      // Events a previous driver kept in the state move to the database, then leave the state.
      const moving = Object.entries(this.#data.events);
      for (const [sessionId, log] of moving) {
        const events = log.map(eventFromState);
        await this.#events.adopt(sessionId, events, events.map(eventBytes));
      }
      for (const [sessionId] of moving) delete this.#data.events[sessionId];
      book.eventStorage = "sqlite";
      for (const id of this.#events.ledger.sessionIds()) await this.#retention.enforce(id);
    } else {
      for (const id of [...this.#events.ledger.sessionIds()]) await this.#retention.enforce(id);
    }
    this.#save();
  }

  /** Store a record: in the database first (SQLite mode), then in the state. */
  async #putRecord(record: SessionRecord): Promise<void> {
    await this.#sqlRecords?.put(record);
    this.#records.write(record);
  }

  async #deleteRecord(id: string): Promise<void> {
    await this.#sqlRecords?.delete(id);
    this.#records.delete(id);
  }

  #dropped(report: RetentionReport): void {
    const book: RivetPersistBookkeeping = bookkeepingOf(this.#data, this.#events.kind);
    book.droppedEvents += report.droppedEvents;
    if (report.droppedSession) book.droppedSessions += 1;
    book.lastDrop = report;
    const first = report.droppedSession || !this.#warned.has(report.sessionId);
    if (first) {
      this.#warned.add(report.sessionId);
      this.#ctx.log?.warn(
        { ...report, stateKey: this.#stateKey, limit: this.#retention.limits[report.reason] },
        report.droppedSession
          ? `durable-agent: session ${report.sessionId} dropped (${report.reason})`
          : `durable-agent: oldest events of session ${report.sessionId} dropped (${report.reason}); further trims of this session are counted, not logged`,
      );
    }
    try {
      this.#onRetention?.({ ...report });
    } catch (error) {
      this.#ctx.log?.warn({ error: String(error) }, "durable-agent: the onRetention handler threw");
    }
  }

  /**
   * Ask RivetKit to save the state as soon as it can. Not awaited: RivetKit runs no save while
   * `createVars` runs, and a driver used there (the issue's usage) would wait forever.
   */
  #save(): void {
    this.#ctx.saveState({ maxWait: 0 }).catch((error: unknown) => {
      this.#ctx.log?.warn({ error: String(error) }, "durable-agent: RivetKit refused to save the actor state");
    });
  }
}
