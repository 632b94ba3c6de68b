// The names of the database's object stores and indexes, in one place.

/** The database name when none is given. */
export const DEFAULT_DATABASE_NAME = "durable-agent";
/** Object store of session records. */
export const SESSIONS = "sessions";
/** Object store of session events. */
export const EVENTS = "events";
/** Index of `sessions` on `[createdAt, order]`: `listSessions` order. */
export const SESSIONS_BY_ORDER = "byOrder";
/** Unique index of `events` on `id`: event ids are unique across sessions. */
export const EVENTS_BY_ID = "byId";
/** Object store of agent state file chunks (agent state snapshots), keyed `[sessionId, path, offset]`. */
export const AGENT_STATE = "agentState";
/** Object store of session leases (one row per leased session), keyed by `sessionId`. */
export const LEASES = "leases";
/** The object stores a database must have to be one of ours. */
export const REQUIRED_STORES: readonly string[] = [SESSIONS, EVENTS];
