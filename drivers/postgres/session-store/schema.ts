import type { Pool } from "pg";
import { migrateTrack, type Migration } from "../schema.js";
import type { SessionStoreNames } from "./names.js";

// The session store's PostgreSQL schema, in one place: its own history of migrations,
// recorded in `<prefix>claude_schema_migrations` and run by the driver's machinery (one
// transaction under the schema's advisory lock, a newer version refused). A released
// migration is never edited; changes are new entries.

/**
 * Every migration, oldest first.
 *
 * `transcripts` holds one row per transcript: the main one (`subpath` `''`) and each subagent
 * subpath. Its row is the transcript's lock (every append updates it in the same statement or
 * transaction), its `last_seq` orders the entries and versions the row, its `mtime` (epoch ms
 * of the server's clock) is what `listSessions` reports and, on the main row, `summary` is the
 * session's folded summary data as JSON text. `id` is an identity, never reused, so a cached
 * `(id, last_seq)` can never match a session deleted and written again. Rows are rewritten on
 * every append: fillfactor 80 leaves room for HOT updates (no indexed column changes).
 * `entries` holds one row per entry as JSON text (kept as written: no JSONB parse on the way
 * in or out), ordered by `(transcript_id, seq)`; a `uuid` is unique within its transcript.
 * `sessions` lists a project's main transcripts without reading subagent rows or entries.
 */
export const SESSION_STORE_MIGRATIONS: readonly Migration<SessionStoreNames>[] = [
  {
    version: 1,
    name: "transcripts (with summaries) and entries",
    statements: (t) => [
      `CREATE TABLE ${t.transcripts} (
        id bigint GENERATED ALWAYS AS IDENTITY,
        project_key text COLLATE "C" NOT NULL,
        session_id text COLLATE "C" NOT NULL,
        subpath text COLLATE "C" NOT NULL,
        mtime bigint NOT NULL,
        last_seq bigint NOT NULL,
        summary text,
        CONSTRAINT "${t.transcriptsPkey}" PRIMARY KEY (id),
        CONSTRAINT "${t.transcriptsKey}" UNIQUE (project_key, session_id, subpath)
      ) WITH (fillfactor = 80)`,
      `CREATE INDEX "${t.sessions}" ON ${t.transcripts} (project_key) WHERE subpath = ''`,
      `CREATE TABLE ${t.entries} (
        transcript_id bigint NOT NULL,
        seq bigint NOT NULL,
        uuid text COLLATE "C",
        entry text NOT NULL,
        CONSTRAINT "${t.entriesPkey}" PRIMARY KEY (transcript_id, seq)
      )`,
      `CREATE UNIQUE INDEX "${t.entriesUuid}" ON ${t.entries} (transcript_id, uuid) WHERE uuid IS NOT NULL`,
    ],
  },
];

/** The session-store schema version this build creates and understands. */
export const POSTGRES_SESSION_STORE_SCHEMA_VERSION = SESSION_STORE_MIGRATIONS.length;

/**
 * Bring the session store's tables up to {@link POSTGRES_SESSION_STORE_SCHEMA_VERSION}.
 * @throws PostgresSchemaVersionError when the database was migrated by a newer build.
 */
export async function migrateSessionStore(pool: Pool, t: SessionStoreNames): Promise<void> {
  await migrateTrack(pool, { schema: t.schema, schemaName: t.schemaName, table: t.migrations, names: t, migrations: SESSION_STORE_MIGRATIONS });
}
