import { PersistValidationError } from "../../src/persist/errors.js";

// Where the Rivet driver keeps things: one key of the actor's state (`c.state`) and, when the
// events go to the actor's SQLite database, tables there (records, events, agent state).

/** The key of `c.state` that holds the driver's data unless `stateKey` says otherwise (the reference driver's key). */
export const DEFAULT_STATE_KEY = "_sandboxAgentPersist";

/** Table of the driver's own metadata (its schema version) in the actor's database. */
export const META_TABLE = "durable_agent_meta";
/** Table of the session records in the actor's database (mirrored into `c.state` for readers of the state). */
export const SESSIONS_TABLE = "durable_agent_sessions";
/** Index of the records in listing order. */
export const SESSIONS_ORDER_INDEX = "durable_agent_sessions_order";
/** Table of the events in the actor's database. */
export const EVENTS_TABLE = "durable_agent_events";
/** Unique index that makes event ids unique across sessions. */
export const EVENT_ID_INDEX = "durable_agent_events_id";
/** Table of the agent state files (one row per file: its size and time) in the actor's database. */
export const AGENT_STATE_FILES_TABLE = "durable_agent_agent_state_files";
/** Table of the agent state bytes (one row per piece of an append, at its offset in the file). */
export const AGENT_STATE_CHUNKS_TABLE = "durable_agent_agent_state_chunks";

const STATE_KEY_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

/**
 * Validate a state key: an identifier of 1-64 characters (letters, digits, `_`, `$`), never
 * `__proto__`, so the data sits under a plain own property of `c.state`.
 * @throws PersistValidationError naming `options.stateKey`.
 */
export function checkStateKey(key: unknown, what: string): string {
  if (typeof key !== "string" || !STATE_KEY_PATTERN.test(key) || key === "__proto__") {
    throw new PersistValidationError(what, [
      { path: "options.stateKey", message: `must be an identifier of 1-64 letters, digits, _ or $ (got ${JSON.stringify(key)})` },
    ]);
  }
  return key;
}
