import { PersistValidationError } from "../../../src/persist/errors.js";
import { tableNames } from "../names.js";

/** The longest name the store appends to the prefix. */
const LONGEST_SUFFIX = "claude_schema_migrations".length;
/** PostgreSQL truncates identifiers longer than this many bytes. */
const MAX_IDENTIFIER_LENGTH = 63;

/** Qualified, quoted names of every object of the session store (constraint and index names unqualified, unquoted). */
export interface SessionStoreNames {
  /** The schema, quoted. */
  readonly schema: string;
  /** The schema, unquoted. */
  readonly schemaName: string;
  /** Applied session-store migrations: `<prefix>claude_schema_migrations` (apart from the driver's). */
  readonly migrations: string;
  /** One row per transcript (a session's main one, each subpath), holding the session's summary: `<prefix>claude_transcripts`. */
  readonly transcripts: string;
  /** Primary key of `transcripts` (its `id`). */
  readonly transcriptsPkey: string;
  /** Unique constraint on `(project_key, session_id, subpath)`. */
  readonly transcriptsKey: string;
  /** Partial index of the main transcripts by project, behind the listings: `<prefix>claude_sessions`. */
  readonly sessions: string;
  /** One row per stored entry: `<prefix>claude_entries`. */
  readonly entries: string;
  /** Primary key of `entries`: `(transcript_id, seq)`. */
  readonly entriesPkey: string;
  /** Partial unique index on `(transcript_id, uuid)`, the idempotency key. */
  readonly entriesUuid: string;
}

/**
 * Validate `schema` and `tablePrefix` (the driver's rules, and a prefix short enough for the
 * store's longer names) and build the store's names.
 * @throws PersistValidationError when either is not a plain lowercase identifier, or the prefix is too long.
 */
export function sessionStoreNames(schema: unknown, tablePrefix: unknown): SessionStoreNames {
  const { schema: quoted, schemaName, prefix } = tableNames(schema, tablePrefix);
  const max = MAX_IDENTIFIER_LENGTH - LONGEST_SUFFIX;
  if (prefix.length > max) {
    throw new PersistValidationError("PostgreSQL session store options", [
      { path: "options.tablePrefix", message: `must be at most ${max} characters for the session store's table names, got ${prefix.length}` },
    ]);
  }
  const q = (name: string) => `${quoted}."${prefix}${name}"`;
  return {
    schema: quoted,
    schemaName,
    migrations: q("claude_schema_migrations"),
    transcripts: q("claude_transcripts"),
    transcriptsPkey: `${prefix}claude_transcripts_pkey`,
    transcriptsKey: `${prefix}claude_transcripts_key`,
    sessions: `${prefix}claude_sessions`,
    entries: q("claude_entries"),
    entriesPkey: `${prefix}claude_entries_pkey`,
    entriesUuid: `${prefix}claude_entries_uuid`,
  };
}
