import { tableNames } from "../names.js";

/** The names of every schema object of the session store, under the driver's validated prefix (unquoted). */
export interface SessionStoreNames {
  /** Applied session-store migrations: `<prefix>claude_schema_version` (apart from the driver's). */
  readonly migrations: string;
  /** One row per transcript (a session's main one, each subpath), holding the session's summary: `<prefix>claude_transcripts`. */
  readonly transcripts: string;
  /** Unique index on `(project_key, session_id, subpath)`: `<prefix>claude_transcripts_key`. */
  readonly transcriptsKey: string;
  /** Partial index of the main transcripts by project, behind the listings: `<prefix>claude_sessions`. */
  readonly sessions: string;
  /** One row per stored entry: `<prefix>claude_entries`. */
  readonly entries: string;
  /** Partial unique index on `(transcript_id, uuid)`, the idempotency key: `<prefix>claude_entries_uuid`. */
  readonly entriesUuid: string;
}

/**
 * The session store's names for a table prefix (the same one, and the same rules, as the driver's).
 * @throws PersistValidationError when the prefix is not a plain SQL identifier.
 */
export function sessionStoreNames(prefix?: unknown): SessionStoreNames {
  const p = tableNames(prefix).prefix;
  return {
    migrations: `${p}claude_schema_version`,
    transcripts: `${p}claude_transcripts`,
    transcriptsKey: `${p}claude_transcripts_key`,
    sessions: `${p}claude_sessions`,
    entries: `${p}claude_entries`,
    entriesUuid: `${p}claude_entries_uuid`,
  };
}
