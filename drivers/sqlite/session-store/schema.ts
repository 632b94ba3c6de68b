import type Database from "better-sqlite3";
import { migrateTrack, type Migration } from "../schema.js";
import type { SessionStoreNames } from "./names.js";

// The session store's SQLite schema, in one place: its own history of migrations, recorded in
// `<prefix>claude_schema_version` and run by the driver's machinery (one BEGIN IMMEDIATE
// transaction, re-read under the lock, a newer version refused). A released migration is never
// edited; changes are new entries.

/**
 * Every migration, oldest first.
 *
 * `transcripts` holds one row per transcript: the main one (`subpath` `''`) and each subagent
 * subpath. Its row is the transcript's lock (every append updates it in the same transaction),
 * its `last_seq` orders the entries, its `mtime` (epoch ms) is what `listSessions` reports and,
 * on the main row, `summary` is the session's folded summary data as JSON text. `entries`
 * holds one row per entry as JSON text, ordered by `(transcript_id, seq)`; a `uuid` is unique
 * within its transcript. `sessions` lists a project's main transcripts without reading the
 * subagent rows, let alone the entries.
 */
export const SESSION_STORE_MIGRATIONS: readonly Migration<SessionStoreNames>[] = [
  {
    version: 1,
    name: "transcripts (with summaries) and entries",
    statements: (t) => [
      `CREATE TABLE "${t.transcripts}" (
        id          INTEGER NOT NULL PRIMARY KEY,
        project_key TEXT    NOT NULL,
        session_id  TEXT    NOT NULL,
        subpath     TEXT    NOT NULL,
        mtime       INTEGER NOT NULL,
        last_seq    INTEGER NOT NULL,
        summary     TEXT
      )`,
      `CREATE UNIQUE INDEX "${t.transcriptsKey}" ON "${t.transcripts}" (project_key, session_id, subpath)`,
      `CREATE INDEX "${t.sessions}" ON "${t.transcripts}" (project_key, session_id) WHERE subpath = ''`,
      `CREATE TABLE "${t.entries}" (
        transcript_id INTEGER NOT NULL,
        seq           INTEGER NOT NULL,
        uuid          TEXT,
        entry         TEXT    NOT NULL,
        PRIMARY KEY (transcript_id, seq)
      )`,
      `CREATE UNIQUE INDEX "${t.entriesUuid}" ON "${t.entries}" (transcript_id, uuid) WHERE uuid IS NOT NULL`,
    ],
  },
];

/** The session-store schema version this release creates and expects. */
export const SQLITE_SESSION_STORE_SCHEMA_VERSION = SESSION_STORE_MIGRATIONS.length;

/**
 * Bring the session store's tables up to {@link SQLITE_SESSION_STORE_SCHEMA_VERSION}.
 * @throws SQLiteSchemaVersionError when the file was migrated by a newer release.
 */
export function migrateSessionStore(db: Database.Database, t: SessionStoreNames): void {
  migrateTrack(db, { table: t.migrations, names: t, migrations: SESSION_STORE_MIGRATIONS });
}
