import type Database from "better-sqlite3";
import { migrateTrack, type Migration } from "./schema.js";

// The lease table of the SQLite driver, on its own migration track (its own version table),
// so that it evolves apart from the sessions and events tables and from other optional
// features sharing the file. A migration is never edited once released.

/** The names of the lease schema objects for one table prefix (unquoted). */
export interface LeaseTableNames {
  /** Applied lease migrations: `<prefix>lease_schema_version`. */
  readonly migrations: string;
  /** One row per session ever leased: `<prefix>leases`. */
  readonly leases: string;
}

/** The lease names for a prefix already validated by `tableNames`. */
export function leaseTableNames(prefix: string): LeaseTableNames {
  return { migrations: `${prefix}lease_schema_version`, leases: `${prefix}leases` };
}

/**
 * Every lease migration, oldest first. `expires_at` is epoch milliseconds by the writing
 * process's clock; `token` only grows (the row outlives `deleteSession`).
 */
export const LEASE_MIGRATIONS: readonly Migration<LeaseTableNames>[] = [
  {
    version: 1,
    name: "session leases table",
    statements: (t) => [
      `CREATE TABLE "${t.leases}" (
        session_id TEXT    NOT NULL PRIMARY KEY,
        holder     TEXT    NOT NULL,
        token      INTEGER NOT NULL CHECK (token > 0),
        expires_at INTEGER NOT NULL
      )`,
    ],
  },
];

/**
 * Create or migrate the lease table of `prefix` (one `BEGIN IMMEDIATE` transaction when
 * something is pending; a read when up to date).
 * @throws SQLiteSchemaVersionError when the lease track was migrated by a newer release.
 */
export function migrateLeases(db: Database.Database, prefix: string): LeaseTableNames {
  const names = leaseTableNames(prefix);
  migrateTrack(db, { table: names.migrations, names, migrations: LEASE_MIGRATIONS });
  return names;
}
