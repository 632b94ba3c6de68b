import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from "idb";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import { AGENT_STATE, EVENTS, EVENTS_BY_ID, LEASES, SESSIONS, SESSIONS_BY_ORDER } from "./names.js";

// The database layout and its versioned upgrade path. Every read the driver makes is a
// key range over a primary key or an index below, never a scan of a whole store.
//
//   sessions  key: id                       value: SessionRow
//             index byOrder [createdAt, order]  (listSessions keyset, code-point order, see keys.ts)
//   events    key: [sessionId, eventIndex]  value: SessionEvent
//             index byId id (unique)            (idempotency and id uniqueness across sessions)
//
//   agentState key: [sessionId, path, offset] value: AgentStateChunkRow (agent state snapshots)
//   leases     key: sessionId               value: LeaseRow (session leases and their fencing token)
//
// Events are keyed by (sessionId, eventIndex) rather than by id: listEvents and the tail read
// are then range reads on the primary key (no index indirection), deleting a session's events
// is one range delete, and the primary key itself makes eventIndex unique per session.

/** A session record as stored: the record itself plus the keys its listing order needs. */
export interface SessionRow {
  /** Primary key: the record's id. */
  id: string;
  /** Copy of `record.createdAt`, first part of the listing key. */
  createdAt: number;
  /** `id` encoded so that IndexedDB's key order is code-point order (see `orderKey`). */
  order: ArrayBuffer;
  /** The record, as given to `updateSession` (after a JSON round trip). */
  record: SessionRecord;
}

/** One stored piece of an agent state file: `data` holds the bytes from `offset` on. */
export interface AgentStateChunkRow {
  /** The session the file belongs to. */
  sessionId: string;
  /** The file's key within the session's agent state. */
  path: string;
  /** Where `data` starts in the file. */
  offset: number;
  /** The bytes of this piece. */
  data: Uint8Array;
  /** When this piece was stored (epoch milliseconds). */
  storedAt: number;
}

/** The lease on one session, as stored: who holds it, its fencing token and when it expires. */
export interface LeaseRow {
  /** Primary key: the leased session. */
  sessionId: string;
  /** Who holds the lease. */
  holder: string;
  /** The fencing token: grows by one each time the lease changes hands. */
  token: number;
  /** When the lease lapses unless renewed (epoch milliseconds). */
  expiresAt: number;
}

/** The typed layout, for idb. */
export interface DurableAgentDbSchema extends DBSchema {
  sessions: {
    key: string;
    value: SessionRow;
    indexes: { byOrder: [number, ArrayBuffer] };
  };
  events: {
    key: [string, number];
    value: SessionEvent;
    indexes: { byId: string };
  };
  agentState: {
    key: [string, string, number];
    value: AgentStateChunkRow;
  };
  leases: {
    key: string;
    value: LeaseRow;
  };
}

/** An open connection to the driver's database, typed. */
export type DurableAgentDb = IDBPDatabase<DurableAgentDbSchema>;

/** A transaction on the driver's database, typed. */
export type Transaction<Mode extends IDBTransactionMode = IDBTransactionMode> = IDBPTransaction<
  DurableAgentDbSchema,
  StoreNames<DurableAgentDbSchema>[],
  Mode
>;

/** One schema change: turns version `i` into version `i + 1` (where `i` is its position). */
export type Migration = (db: DurableAgentDb, tx: Transaction<"versionchange">) => void;

/**
 * Every migration, oldest first. Append new steps at the end; never edit a released one. A
 * database at version v gets steps v, v+1, ... applied in order inside the single
 * versionchange transaction, so an upgrade is all or nothing.
 */
export const MIGRATIONS: readonly Migration[] = [
  // 0 -> 1: the initial layout.
  (db) => {
    const sessions = db.createObjectStore(SESSIONS, { keyPath: "id" });
    sessions.createIndex(SESSIONS_BY_ORDER, ["createdAt", "order"]);
    const events = db.createObjectStore(EVENTS, { keyPath: ["sessionId", "eventIndex"] });
    events.createIndex(EVENTS_BY_ID, "id", { unique: true });
  },
  // 1 -> 2: agent state snapshots and session leases.
  (db) => {
    db.createObjectStore(AGENT_STATE, { keyPath: ["sessionId", "path", "offset"] });
    db.createObjectStore(LEASES, { keyPath: "sessionId" });
  },
];

/** The schema version this driver creates and expects. */
export const INDEXEDDB_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Bring a database from `oldVersion` to `newVersion`, applying each step in order. Called
 * from `upgradeneeded`, inside the versionchange transaction.
 */
export function migrate(
  db: DurableAgentDb,
  tx: Transaction<"versionchange">,
  oldVersion: number,
  newVersion: number,
  steps: readonly Migration[] = MIGRATIONS,
): void {
  for (let version = oldVersion; version < newVersion; version++) {
    const step = steps[version];
    if (!step) throw new Error(`no upgrade step from version ${version}`);
    step(db, tx);
  }
}
