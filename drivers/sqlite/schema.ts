import type Database from "better-sqlite3";
import { SQLiteSchemaVersionError } from "./errors.js";
import type { TableNames } from "./names.js";

// The SQLite schema, in one place: every table and index the driver uses, as a list of
// versioned migrations. A migration is never edited once released; changes are new entries.
// Statements deliberately omit IF NOT EXISTS: a migration that ran twice would fail loudly
// instead of passing unnoticed.

/** One step of a schema's history; `N` holds the names its statements are built from. */
export interface Migration<N = TableNames> {
  /** Position in the history, from 1, without gaps. */
  readonly version: number;
  /** What the step does, for humans. */
  readonly name: string;
  /** The DDL of the step for one set of table names, in order. */
  readonly statements: (t: N) => string[];
}

/**
 * A schema history with a version table of its own: the driver's ({@link MIGRATIONS} in
 * `<prefix>schema_version`), or another one sharing the file (the session store's).
 */
export interface MigrationTrack<N> {
  /** The table recording the applied versions (unquoted). */
  readonly table: string;
  /** What the statements are built from. */
  readonly names: N;
  /** Every migration, oldest first. */
  readonly migrations: readonly Migration<N>[];
}

/**
 * Every migration, oldest first.
 *
 * Column notes: epoch-millisecond times and `event_index` are INTEGER columns (a fractional
 * time keeps its REAL value). JSON columns hold `JSON.stringify` text; SQL NULL means the
 * field is absent, the text `null` means it is present and `null` (this is how `modes: null`
 * and a missing `modes` stay distinct). `listSessions` reads `sessionsOrder`; `listEvents` and
 * the tail read use the index behind `UNIQUE (session_id, event_index)`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "sessions and events tables",
    statements: (t) => [
      `CREATE TABLE "${t.sessions}" (
        id                 TEXT    NOT NULL PRIMARY KEY,
        agent              TEXT    NOT NULL,
        agent_session_id   TEXT    NOT NULL,
        last_connection_id TEXT    NOT NULL,
        created_at         INTEGER NOT NULL,
        destroyed_at       INTEGER,
        sandbox_id         TEXT,
        session_init       TEXT,
        config_options     TEXT,
        modes              TEXT
      )`,
      `CREATE INDEX "${t.sessionsOrder}" ON "${t.sessions}" (created_at, id)`,
      `CREATE TABLE "${t.events}" (
        id            TEXT    NOT NULL PRIMARY KEY,
        session_id    TEXT    NOT NULL,
        event_index   INTEGER NOT NULL,
        created_at    INTEGER NOT NULL,
        connection_id TEXT    NOT NULL,
        sender        TEXT    NOT NULL CHECK (sender IN ('client', 'agent')),
        payload       TEXT    NOT NULL,
        UNIQUE (session_id, event_index)
      )`,
    ],
  },
];

/** The schema version this release creates and expects. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/** The highest version recorded in the migrations table; 0 when the table does not exist yet. */
function recordedVersion(db: Database.Database, table: string): number {
  const found = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  if (found === undefined) return 0;
  const row = db.prepare(`SELECT MAX(version) AS v FROM "${table}"`).get() as { v: number | null };
  return row.v ?? 0;
}

function refuseNewer(table: string, version: number, latest: number): void {
  if (version > latest) throw new SQLiteSchemaVersionError(table, version, latest);
}

/**
 * Bring the schema up to {@link SQLITE_SCHEMA_VERSION}. Every pending migration runs in one
 * `BEGIN IMMEDIATE` transaction, so concurrent openers queue on the write lock, see each
 * other's work, and a failure leaves the database as it was. Each applied version is
 * recorded in `<prefix>schema_version` and never run again.
 *
 * @throws SQLiteSchemaVersionError when the database is newer than this release.
 */
export function migrate(db: Database.Database, t: TableNames, now: () => number = Date.now): void {
  migrateTrack(db, { table: t.migrations, names: t, migrations: MIGRATIONS }, now);
}

/**
 * Bring one {@link MigrationTrack} up to its newest version, as {@link migrate} does for the driver's.
 * @throws SQLiteSchemaVersionError when the track's table records a version newer than its newest migration.
 */
export function migrateTrack<N>(db: Database.Database, track: MigrationTrack<N>, now: () => number = Date.now): void {
  const { table, migrations } = track;
  const latest = migrations.length;
  // Up-to-date databases (the usual case) are checked without taking the write lock.
  const seen = recordedVersion(db, table);
  refuseNewer(table, seen, latest);
  if (seen === latest) return;

  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS "${table}" (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)`);
    // Re-read under the lock: another connection may have migrated meanwhile.
    const current = recordedVersion(db, table);
    refuseNewer(table, current, latest);
    const record = db.prepare(`INSERT INTO "${table}" (version, applied_at) VALUES (?, ?)`);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      for (const statement of migration.statements(track.names)) db.exec(statement);
      record.run(migration.version, now());
    }
  }).immediate();
}
