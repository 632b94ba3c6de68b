import type { Pool } from "pg";
import type { TableNames } from "./names.js";
import { migrateTrack, type Migration } from "./schema.js";

// The lease table of the PostgreSQL driver, on its own migration track (its own migrations
// table), so that it evolves apart from the sessions and events tables and from other
// optional features in the same schema. A migration is never edited once released.

/** Qualified, quoted names of the lease schema objects for one schema and prefix. */
export interface LeaseTableNames {
  /** The schema, quoted. */
  readonly schema: string;
  /** The schema, unquoted. */
  readonly schemaName: string;
  /** Raw table prefix. */
  readonly prefix: string;
  /** Applied lease migrations: `<prefix>lease_migrations`. */
  readonly migrations: string;
  /** One row per session ever leased: `<prefix>leases`. */
  readonly leases: string;
}

/** The lease names beside the driver's (already validated) names. */
export function leaseTableNames(names: TableNames): LeaseTableNames {
  const q = (name: string) => `${names.schema}."${names.prefix}${name}"`;
  return {
    schema: names.schema,
    schemaName: names.schemaName,
    prefix: names.prefix,
    migrations: q("lease_migrations"),
    leases: q("leases"),
  };
}

/**
 * Every lease migration, oldest first. `expires_at` is epoch milliseconds by the database
 * server's clock (`clock_timestamp()`); `token` only grows (the row outlives `deleteSession`).
 */
export const LEASE_MIGRATIONS: readonly Migration<LeaseTableNames>[] = [
  {
    version: 1,
    name: "create session leases",
    statements: ({ leases, prefix }) => [
      `CREATE TABLE ${leases} (
        session_id text COLLATE "C" NOT NULL,
        holder text NOT NULL,
        token bigint NOT NULL,
        expires_at bigint NOT NULL,
        CONSTRAINT "${prefix}leases_pkey" PRIMARY KEY (session_id),
        CONSTRAINT "${prefix}leases_token" CHECK (token > 0)
      )`,
    ],
  },
];

/**
 * Create or migrate the lease table (two reads when up to date; otherwise one transaction
 * under the schema's migration lock, like the driver's own track).
 * @throws PostgresSchemaVersionError when the lease track was migrated by a newer release.
 */
export async function migrateLeases(pool: Pool, t: LeaseTableNames): Promise<void> {
  await migrateTrack(pool, { schema: t.schema, schemaName: t.schemaName, table: t.migrations, names: t, migrations: LEASE_MIGRATIONS });
}
