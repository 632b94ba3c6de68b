import type { Pool } from "pg";
import { migrateTrack, type Migration } from "./schema.js";
import type { TableNames } from "./names.js";

// The agent state tables of the PostgreSQL driver, on their own migration track (their own
// migrations table), so that they evolve apart from the sessions and events tables and from
// the other optional features sharing the schema. A migration is never edited once released.
// The suffixes are at most as long as "schema_migrations", so every prefix the driver accepts
// still gives names within PostgreSQL's 63 bytes.

/** Fully qualified, quoted names of the agent state objects of one schema and table prefix. */
export interface AgentStateTableNames {
  /** The schema, quoted. */
  readonly schema: string;
  /** The schema, unquoted. */
  readonly schemaName: string;
  /** The table prefix, unquoted. */
  readonly prefix: string;
  /** Applied agent state migrations: `<prefix>agent_migrations`. */
  readonly migrations: string;
  /** One row per stored file (its size and time): `<prefix>agent_files`. */
  readonly files: string;
  /** One row per append (its offset in the file and its bytes): `<prefix>agent_chunks`. */
  readonly chunks: string;
}

/** The agent state names next to the driver's (already validated) names. */
export function agentStateTableNames(names: TableNames): AgentStateTableNames {
  const q = (name: string) => `${names.schema}."${names.prefix}${name}"`;
  return {
    schema: names.schema,
    schemaName: names.schemaName,
    prefix: names.prefix,
    migrations: q("agent_migrations"),
    files: q("agent_files"),
    chunks: q("agent_chunks"),
  };
}

/**
 * Every agent state migration, oldest first. A file's bytes are its chunks (`bytea`) by
 * ascending `chunk_offset`; `size` is their total and `updated_at` epoch milliseconds. Paths
 * use the "C" collation: code-point order, which listAgentState returns. No foreign key to
 * sessions: agent state may be stored before (or without) a session record.
 */
export const AGENT_STATE_MIGRATIONS: readonly Migration<AgentStateTableNames>[] = [
  {
    version: 1,
    name: "agent state files and chunks",
    statements: (t) => [
      `CREATE TABLE ${t.files} (
        session_id text COLLATE "C" NOT NULL,
        path text COLLATE "C" NOT NULL,
        size bigint NOT NULL,
        updated_at double precision NOT NULL,
        CONSTRAINT "${t.prefix}agent_files_pkey" PRIMARY KEY (session_id, path),
        CONSTRAINT "${t.prefix}agent_files_size" CHECK (size >= 0)
      )`,
      `CREATE TABLE ${t.chunks} (
        session_id text COLLATE "C" NOT NULL,
        path text COLLATE "C" NOT NULL,
        chunk_offset bigint NOT NULL,
        data bytea NOT NULL,
        CONSTRAINT "${t.prefix}agent_chunks_pkey" PRIMARY KEY (session_id, path, chunk_offset)
      )`,
    ],
  },
];

/**
 * Create or migrate the agent state tables (one transaction under the schema's advisory lock
 * when something is pending; two reads when up to date).
 * @throws PostgresSchemaVersionError when the agent state track was migrated by a newer release.
 */
export async function migrateAgentState(pool: Pool, t: AgentStateTableNames): Promise<void> {
  await migrateTrack(pool, { schema: t.schema, schemaName: t.schemaName, table: t.migrations, names: t, migrations: AGENT_STATE_MIGRATIONS });
}
