import type { AgentStateFileInfo } from "./agent-state.js";
import type { ValidationIssue } from "./errors.js";
import type { LeaseAcquireResult, SessionLease } from "./leases.js";
import type { SessionEvent, SessionRecord } from "./types.js";
import type { SessionActivity } from "./activity.js";

// The storage primitives a backend plugs into the driver kit (`PersistDriver`). The kit
// validates every argument, decodes and encodes cursors, pages, de-duplicates batches, tells
// an idempotent re-insert from a conflict and names every error; a backend only stores and
// reads what it is handed. Everything it receives is already valid.

/** A value a backend may return at once (an in-process or synchronous store) or as a promise. */
export type MaybePromise<T> = T | Promise<T>;

/** The position of a session record in listing order: ascending `createdAt`, then `id` by code point. */
export interface SessionKey {
  /** The record's `createdAt`. */
  createdAt: number;
  /** The record's `id`. */
  id: string;
}

/**
 * Why one event of a batch could not be inserted: what already holds one of its keys.
 * {@link PersistBackend.insertEvents} reports one per refused event it can explain; the kit
 * decides from it whether the event is an idempotent re-insert or a conflict.
 */
export interface EventClash {
  /** The event of the batch that was refused (as the backend received it). */
  event: SessionEvent;
  /** The event stored under `event.id`, in any session, when there is one. */
  storedWithId?: SessionEvent;
  /**
   * Whether another event holds `(event.sessionId, event.eventIndex)`. Only looked at when
   * `storedWithId` is absent, so a backend may leave it out once it found `storedWithId`.
   */
  indexTaken?: boolean;
}

/**
 * The storage primitives of one backend (a database, a key-value store, a file, memory),
 * run by `PersistDriver`, which turns them into a complete `SessionPersistDriver` with every
 * optional capability. Each method may answer synchronously or with a promise.
 *
 * What the kit guarantees to a backend: every argument is validated (ids, records and events
 * by the `parse*` helpers, limits clamped), batches are free of repeats and internal clashes,
 * and no call starts after {@link PersistBackend.close}. What a backend guarantees to the
 * kit: results are fresh objects the caller may mutate (an in-process store copies), listings
 * are in the documented order, and {@link PersistBackend.insertEvents} is all or nothing.
 */
export interface PersistBackend {
  /** The record with this id, or `undefined`. */
  readSession(id: string): MaybePromise<SessionRecord | undefined>;
  /** Insert or replace the record with `record.id` (every field; absent optional fields are cleared). */
  writeSession(record: SessionRecord): MaybePromise<void>;
  /**
   * Store `record` only when no record with its id exists, atomically (one conditional write,
   * never a read then a write): `true` when stored, `false` when the id is taken (nothing changes).
   */
  insertSession(record: SessionRecord): MaybePromise<boolean>;
  /**
   * Up to `limit` records strictly after `after` (from the first when `undefined`), by
   * ascending `(createdAt, id)` with ids compared by code point (see `compareSessionKeys`).
   * The kit asks for one more than a page to know whether another page follows.
   */
  scanSessions(after: SessionKey | undefined, limit: number): MaybePromise<SessionRecord[]>;
  /**
   * Up to `limit` events of `sessionId` with `eventIndex > afterIndex` (`-1` for the first
   * page), by ascending `eventIndex`; `[]` for an unknown session.
   */
  scanEvents(sessionId: string, afterIndex: number, limit: number): MaybePromise<SessionEvent[]>;
  /**
   * The last `limit` events of `sessionId` (highest `eventIndex`), in ascending order, at a
   * cost that does not grow with the session; `[]` for an unknown session.
   */
  readTail(sessionId: string, limit: number): MaybePromise<SessionEvent[]>;
  /**
   * Insert events of `sessionId` (never empty; distinct ids and indexes) all together or not
   * at all. Resolve `undefined` when every one was stored. When a key is taken (an event id,
   * in any session, or the session's `eventIndex`), store nothing and resolve the clashes: for
   * each refused event, what holds its key. The kit then drops idempotent re-inserts and calls
   * again with the rest, or throws `EventConflictError`. An empty list means the keys that
   * refused the insert are free again (deleted meanwhile): the kit retries a few times.
   */
  insertEvents(sessionId: string, events: readonly SessionEvent[]): MaybePromise<readonly EventClash[] | undefined>;
  /** Delete the record `id` and every event of that session; an unknown id is a no-op. */
  deleteSession(id: string): MaybePromise<void>;
  /**
   * Optional (the event-trim capability; without it the driver's `deleteEventsBefore` throws
   * `UnsupportedCapabilityError`): delete every event of `sessionId` with `eventIndex <
   * beforeIndex` and, when `marker` is given and something was deleted, store it (at
   * `beforeIndex - 1`, a slot the delete freed) in the same atomic step. Resolve how many
   * events were deleted. Arguments are validated; an unknown session resolves 0.
   */
  deleteEventsBefore?(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): MaybePromise<number>;
  /**
   * Optional (the session activity capability, `listSessionActivity`): as
   * {@link PersistBackend.scanSessions}, each record with the lowest and highest `eventIndex`
   * of its events and the `createdAt` of the last one (absent when it has none), in one query
   * (see `src/persist/activity.ts`).
   */
  scanSessionActivity?(after: SessionKey | undefined, limit: number): MaybePromise<SessionActivity[]>;
  /** Release connections and handles. Called once; no call starts afterwards (one already running may still finish). */
  close(): MaybePromise<void>;
  /**
   * Limits of this backend beyond the kit's validation, for a record about to be written
   * (e.g. PostgreSQL `text` cannot hold U+0000): the problems found, with paths under
   * `session` (`"session.agent"`), or `undefined`. The kit throws them as a `PersistValidationError`.
   */
  checkSession?(record: SessionRecord): ValidationIssue[] | undefined;
  /**
   * The same for an event about to be inserted; paths under `path` (`"event"` or
   * `"events[3]"`), e.g. `"events[3].connectionId"`.
   */
  checkEvent?(event: SessionEvent, path: string): ValidationIssue[] | undefined;

  // Session leases (optional, all six or none): with them the driver has the lease capability
  // (`acquireLease` ...), without them it has not. Arguments are validated by the kit. Expiry
  // is judged by the store's clock where it has one, by the process clock otherwise; a lease
  // is expired when `expiresAt <= now`. See docs/leases.md.

  /**
   * Take the lease, atomically (of callers racing on a free lease exactly one gets it): free
   * or expired, `{ acquired: true }` with the stored token + 1 (1 when no row exists); held by
   * `holder` and not expired, renewed with the same token; held by another, `{ acquired: false }`.
   */
  acquireLease?(sessionId: string, holder: string, ttlMs: number): MaybePromise<LeaseAcquireResult>;
  /** Set the lease's expiry to now + `ttlMs` when `lease.token` is current; throw `LeaseLostError` otherwise. */
  renewLease?(lease: SessionLease, ttlMs: number): MaybePromise<SessionLease>;
  /** Make the lease expire now (keeping holder and token) when `lease.token` is current; otherwise a no-op. */
  releaseLease?(lease: SessionLease): MaybePromise<void>;
  /** The session's lease row, expired or not; `undefined` when none was ever taken. */
  readLease?(sessionId: string): MaybePromise<SessionLease | undefined>;
  /**
   * {@link PersistBackend.insertEvents} of `lease.sessionId`, in one atomic step with a check
   * that `lease.token` is the stored token: when it is not, store nothing and throw `LeaseLostError`.
   */
  insertEventsFenced?(lease: SessionLease, events: readonly SessionEvent[]): MaybePromise<readonly EventClash[] | undefined>;
  /** {@link PersistBackend.writeSession} with the same token check in the same atomic step. */
  writeSessionFenced?(lease: SessionLease, record: SessionRecord): MaybePromise<void>;

  // Agent state storage (optional, all four or none): with them the driver has the agent
  // state capability (`appendAgentState` ...), without them it has not. See AgentStateStorage.

  /**
   * Write one agent state file, atomically: `write.offset` 0 replaces the file (creating it),
   * `write.offset` equal to the stored size appends (an empty append changes nothing, not even
   * the time); resolve `undefined` when written. For any
   * other offset change nothing and resolve the stored size (0 when no file is stored); the
   * kit throws `AgentStateOffsetError`. The check and the write are one atomic step, so of
   * writers racing at one offset exactly one succeeds. `write.data` is a copy the backend may keep.
   */
  appendAgentState?(write: AgentStateWrite): MaybePromise<number | undefined>;
  /** The whole file as a fresh array, or `undefined` when none is stored. */
  readAgentState?(sessionId: string, path: string): MaybePromise<Uint8Array | undefined>;
  /** Every file of `sessionId`, by `path` in code-point order (see `compareCodePoints`). */
  listAgentState?(sessionId: string): MaybePromise<AgentStateFileInfo[]>;
  /**
   * Delete the file `path` of `sessionId`, or every file of the session when `path` is
   * `undefined`; unknown ones are a no-op. A backend with these primitives also deletes a
   * session's files in {@link PersistBackend.deleteSession}.
   */
  deleteAgentState?(sessionId: string, path: string | undefined): MaybePromise<void>;
}

/** One validated agent state write handed to {@link PersistBackend.appendAgentState}. */
export interface AgentStateWrite {
  /** The session the file belongs to. */
  sessionId: string;
  /** The file's key. */
  path: string;
  /** 0 to replace the file, or its stored size to append. */
  offset: number;
  /** The bytes: a copy owned by the backend, at most `MAX_AGENT_STATE_APPEND_BYTES` long. */
  data: Uint8Array;
  /** The write's time, epoch milliseconds: the file's new `updatedAt`. */
  updatedAt: number;
}
