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
 * subpath. Every append updates its row in the same transaction: `last_seq` orders the
 * entries, `mtime` (epoch ms) is what `listSessions` reports and, on the main row, `summary`
 * is the session's folded summary data as JSON text. Its `id` is never reused
 * (AUTOINCREMENT), so a summary a process remembers for `(id, last_seq)` cannot be taken for
 * a session deleted and written again. `entries` holds one row per entry as JSON text; its
 * rowid `pos` is `(transcript_id << 32) + seq`, so a transcript's entries are one range of the
 * table itself, in order (loads and deletes scan that range; no index on the order is kept up),
 * with up to 2^32 - 1 entries per transcript. A `uuid` is unique within its transcript (kept
 * as 16 bytes when canonical: see `uuid-key.ts`). `sessions` lists a project's main transcripts without reading the
 * subagent rows, let alone the entries.
 */
export const SESSION_STORE_MIGRATIONS: readonly Migration<SessionStoreNames>[] = [
  {
    version: 1,
    name: "transcripts (with summaries) and entries",
    statements: (t) => [
      `CREATE TABLE "${t.transcripts}" (
        id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
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
        pos           INTEGER NOT NULL PRIMARY KEY,
        transcript_id INTEGER NOT NULL,
        uuid          BLOB,
        entry         TEXT    NOT NULL
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
