import type { Pool, PoolClient } from "pg";
import { PostgresSchemaVersionError } from "./errors.js";
import type { TableNames } from "./names.js";

// The driver's schema, as an ordered list of migrations. Each one runs at most once per
// database (schema + table prefix), inside one transaction that also records it in the
// migrations table, under a transaction-scoped advisory lock, so any number of processes
// may start at once: the first applies the pending migrations, the others wait for it and
// then find nothing to do. Append new migrations; never edit a released one.

/** One step of a schema's history; `N` holds the names its statements are built from. */
export interface Migration<N = TableNames> {
  /** Position in the history, from 1, without gaps. */
  readonly version: number;
  /** What the step does, recorded next to its version. */
  readonly name: string;
  /** The DDL of the step for one set of table names, in order. */
  readonly statements: (t: N) => string[];
}

/**
 * A schema history with a migrations table of its own: the driver's ({@link MIGRATIONS} in
 * `<prefix>schema_migrations`), or another one in the same schema (the session store's).
 */
export interface MigrationTrack<N> {
  /** The PostgreSQL schema, quoted (created when missing). */
  readonly schema: string;
  /** The PostgreSQL schema, unquoted (for the catalog and the lock). */
  readonly schemaName: string;
  /** The table recording the applied versions, qualified and quoted. */
  readonly table: string;
  /** What the statements are built from. */
  readonly names: N;
  /** Every migration, oldest first. */
  readonly migrations: readonly Migration<N>[];
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "create sessions and events",
    statements: ({ sessions, events, prefix, sessionsOrder, eventsOrder }) => [
      // Timestamps are double precision so any epoch-ms number, fractional or not, round-trips.
      // Ids use the "C" collation: code-point order, which listSessions pages by.
      `CREATE TABLE ${sessions} (
        id text COLLATE "C" NOT NULL,
        agent text NOT NULL,
        agent_session_id text NOT NULL,
        last_connection_id text NOT NULL,
        created_at double precision NOT NULL,
        destroyed_at double precision,
        sandbox_id text,
        session_init jsonb,
        config_options jsonb,
        modes jsonb,
        CONSTRAINT "${prefix}sessions_pkey" PRIMARY KEY (id)
      )`,
      `CREATE INDEX "${sessionsOrder}" ON ${sessions} (created_at, id)`,
      // No foreign key to sessions: events may be stored before (or without) their record.
      `CREATE TABLE ${events} (
        id text COLLATE "C" NOT NULL,
        session_id text COLLATE "C" NOT NULL,
        event_index bigint NOT NULL,
        created_at double precision NOT NULL,
        connection_id text NOT NULL,
        sender text NOT NULL,
        payload jsonb NOT NULL,
        CONSTRAINT "${prefix}events_pkey" PRIMARY KEY (id),
        CONSTRAINT "${eventsOrder}" UNIQUE (session_id, event_index),
        CONSTRAINT "${prefix}events_sender" CHECK (sender IN ('client', 'agent'))
      )`,
    ],
  },
];

/** The schema version this build creates and understands. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** The applied version, or 0 when the migrations table does not exist yet. */
async function recordedVersion(client: PoolClient, table: string): Promise<number> {
  const found = await client.query<{ oid: string | null }>("SELECT to_regclass($1)::text AS oid", [table]);
  if (found.rows[0]?.oid == null) return 0;
  const result = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${table}`);
  return result.rows[0]?.version ?? 0;
}

function refuseNewer(table: string, version: number, latest: number): void {
  if (version > latest) throw new PostgresSchemaVersionError(table, version, latest);
}

/**
 * Bring the schema up to {@link POSTGRES_SCHEMA_VERSION}. A database already there costs two reads and
 * takes no lock; otherwise pending migrations run in one transaction under an advisory lock.
 * @throws PostgresSchemaVersionError when the database is at a newer version than this build.
 */
export async function migrate(pool: Pool, names: TableNames): Promise<void> {
  await migrateTrack(pool, { schema: names.schema, schemaName: names.schemaName, table: names.migrations, names, migrations: MIGRATIONS });
}

/**
 * Bring one {@link MigrationTrack} up to its newest version, as {@link migrate} does for the
 * driver's; every track of a schema takes the same lock.
 * @throws PostgresSchemaVersionError when the track's table records a version newer than its newest migration.
 */
export async function migrateTrack<N>(pool: Pool, track: MigrationTrack<N>): Promise<void> {
  const { table, migrations } = track;
  const latest = migrations.length;
  const client = await pool.connect();
  try {
    const seen = await recordedVersion(client, table);
    refuseNewer(table, seen, latest);
    if (seen === latest) return;
    await client.query("BEGIN");
    try {
      // One lock per schema: creating the schema itself must not race either.
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
        `durable-agent:migrate:${track.schemaName}`,
      ]);
      const schemaExists = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [track.schemaName]);
      if (schemaExists.rowCount === 0) await client.query(`CREATE SCHEMA ${track.schema}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${table} (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`,
      );
      const current = await recordedVersion(client, table);
      refuseNewer(table, current, latest);
      for (const migration of migrations) {
        if (migration.version <= current) continue;
        for (const statement of migration.statements(track.names)) await client.query(statement);
        await client.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}
