import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from "idb";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";

// The database layout and its versioned upgrade path. Every read the driver makes is a
// key range over a primary key or an index below, never a scan of a whole store.
//
//   sessions  key: id                       value: StoredSession
//             index byOrder [createdAt, order]  (listSessions keyset, code-point order, see keys.ts)
//   events    key: [sessionId, eventIndex]  value: SessionEvent
//             index byId id (unique)            (idempotency and id uniqueness across sessions)
//
// Events are keyed by (sessionId, eventIndex) rather than by id: listEvents and the tail read
// are then range reads on the primary key (no index indirection), deleting a session's events
// is one range delete, and the primary key itself makes eventIndex unique per session.

/** Object store of session records. */
export const SESSIONS = "sessions";
/** Object store of session events. */
export const EVENTS = "events";
/** Index of `sessions` on `[createdAt, order]`. */
export const SESSIONS_BY_ORDER = "byOrder";
/** Unique index of `events` on `id`. */
export const EVENTS_BY_ID = "byId";

/** A session record as stored: the record itself plus the keys its listing order needs. */
export interface StoredSession {
  /** Primary key: the record's id. */
  id: string;
  /** Copy of `record.createdAt`, first part of the listing key. */
  createdAt: number;
  /** `id` encoded so that IndexedDB's key order is code-point order (see `orderKey`). */
  order: ArrayBuffer;
  /** The record, as given to `updateSession` (after a JSON round trip). */
  record: SessionRecord;
}

/** The typed layout, for idb. */
export interface DurableAgentDbSchema extends DBSchema {
  sessions: {
    key: string;
    value: StoredSession;
    indexes: { byOrder: [number, ArrayBuffer] };
  };
  events: {
    key: [string, number];
    value: SessionEvent;
    indexes: { byId: string };
  };
}

/** An open connection to the driver's database. */
export type DurableAgentDb = IDBPDatabase<DurableAgentDbSchema>;

type UpgradeTransaction = IDBPTransaction<DurableAgentDbSchema, StoreNames<DurableAgentDbSchema>[], "versionchange">;

/** One schema change: turns version `i` into version `i + 1` (where `i` is its position). */
type UpgradeStep = (db: DurableAgentDb, tx: UpgradeTransaction) => void;

// Append new steps at the end; never edit a released one. A database at version v gets
// steps v, v+1, ... applied in order inside the single versionchange transaction, so an
// upgrade is all or nothing.
const UPGRADE_STEPS: readonly UpgradeStep[] = [
  // 0 -> 1: the initial layout.
  (db) => {
    const sessions = db.createObjectStore(SESSIONS, { keyPath: "id" });
    sessions.createIndex(SESSIONS_BY_ORDER, ["createdAt", "order"]);
    const events = db.createObjectStore(EVENTS, { keyPath: ["sessionId", "eventIndex"] });
    events.createIndex(EVENTS_BY_ID, "id", { unique: true });
  },
];

/** The schema version this driver creates and expects. */
export const SCHEMA_VERSION = UPGRADE_STEPS.length;

/**
 * Bring a database from `oldVersion` to `newVersion`, applying each step in order. Called
 * from `upgradeneeded`, inside the versionchange transaction.
 */
export function upgradeSchema(
  db: DurableAgentDb,
  tx: UpgradeTransaction,
  oldVersion: number,
  newVersion: number,
  steps: readonly UpgradeStep[] = UPGRADE_STEPS,
): void {
  for (let version = oldVersion; version < newVersion; version++) {
    const step = steps[version];
    if (!step) throw new Error(`no upgrade step from version ${version}`);
    step(db, tx);
  }
}

/** The object stores a database must have to be one of ours. */
export const REQUIRED_STORES: readonly string[] = [SESSIONS, EVENTS];
