import type Database from "better-sqlite3";
import { migrateTrack, type Migration } from "./schema.js";

// The agent state tables of the SQLite driver, on their own migration track (their own
// version table), so that they evolve apart from the sessions and events tables and from the
// other optional features sharing the file. A migration is never edited once released.

/** The names of the agent state schema objects for one table prefix (unquoted). */
export interface AgentStateTableNames {
  /** Applied agent state migrations: `<prefix>agent_state_schema_version`. */
  readonly migrations: string;
  /** One row per stored file (its size and time): `<prefix>agent_state_files`. */
  readonly files: string;
  /** One row per append (its offset in the file and its bytes): `<prefix>agent_state_chunks`. */
  readonly chunks: string;
}

/** The agent state names for a prefix already validated by `tableNames`. */
export function agentStateTableNames(prefix: string): AgentStateTableNames {
  return {
    migrations: `${prefix}agent_state_schema_version`,
    files: `${prefix}agent_state_files`,
    chunks: `${prefix}agent_state_chunks`,
  };
}

/**
 * Every agent state migration, oldest first. A file's bytes are its chunks by ascending
 * `chunk_offset`; `size` is their total and `updated_at` epoch milliseconds. Text columns use
 * the BINARY collation, which orders UTF-8 by code point (the listing order).
 */
export const AGENT_STATE_MIGRATIONS: readonly Migration<AgentStateTableNames>[] = [
  {
    version: 1,
    name: "agent state files and chunks tables",
    statements: (t) => [
      `CREATE TABLE "${t.files}" (
        session_id TEXT    NOT NULL,
        path       TEXT    NOT NULL,
        size       INTEGER NOT NULL CHECK (size >= 0),
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (session_id, path)
      ) WITHOUT ROWID`,
      `CREATE TABLE "${t.chunks}" (
        session_id   TEXT    NOT NULL,
        path         TEXT    NOT NULL,
        chunk_offset INTEGER NOT NULL CHECK (chunk_offset >= 0),
        data         BLOB    NOT NULL,
        PRIMARY KEY (session_id, path, chunk_offset)
      )`,
    ],
  },
];

/**
 * Create or migrate the agent state tables of `prefix` (one `BEGIN IMMEDIATE` transaction
 * when something is pending; a read when up to date).
 * @throws SQLiteSchemaVersionError when the agent state track was migrated by a newer release.
 */
export function migrateAgentState(db: Database.Database, prefix: string): AgentStateTableNames {
  const names = agentStateTableNames(prefix);
  migrateTrack(db, { table: names.migrations, names, migrations: AGENT_STATE_MIGRATIONS });
  return names;
}
