import { RivetSchemaVersionError } from "./errors.js";
import type { RivetSqlDatabase } from "./context.js";
import { AGENT_STATE_CHUNKS_TABLE, AGENT_STATE_FILES_TABLE, EVENT_ID_INDEX, EVENTS_TABLE, META_TABLE, SESSIONS_ORDER_INDEX, SESSIONS_TABLE } from "./names.js";

/** The newest schema version of the driver's tables in the actor's database. */
export const RIVET_SCHEMA_VERSION = 2;

/**
 * Migrations by target version; each runs in the transaction that records it. A record row
 * keeps its listing key in columns and the record as JSON text. An event row
 * keeps the keys in columns (the primary key orders a session's events; the unique index
 * keeps event ids unique across sessions), its size for the caps, and the event as JSON text.
 * Version 2 adds the agent state: a row per file (its size and time) and a row per piece of an
 * append (its offset in the file and its bytes), so an append never rewrites what is stored.
 * Text keys use the BINARY collation, which orders UTF-8 by code point (the listing order).
 * A migration is never edited once released.
 */
export const MIGRATIONS: readonly (readonly string[])[] = [
  [],
  [
    `CREATE TABLE IF NOT EXISTS ${EVENTS_TABLE} (
      session_id TEXT NOT NULL,
      event_index INTEGER NOT NULL,
      id TEXT NOT NULL,
      bytes INTEGER NOT NULL,
      body TEXT NOT NULL,
      PRIMARY KEY (session_id, event_index)
    ) WITHOUT ROWID`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${EVENT_ID_INDEX} ON ${EVENTS_TABLE} (id)`,
    `CREATE TABLE IF NOT EXISTS ${SESSIONS_TABLE} (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS ${SESSIONS_ORDER_INDEX} ON ${SESSIONS_TABLE} (created_at, id)`,
  ],
  [
    `CREATE TABLE IF NOT EXISTS ${AGENT_STATE_FILES_TABLE} (
      session_id TEXT NOT NULL,
      path TEXT NOT NULL,
      size INTEGER NOT NULL CHECK (size >= 0),
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (session_id, path)
    ) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS ${AGENT_STATE_CHUNKS_TABLE} (
      session_id TEXT NOT NULL,
      path TEXT NOT NULL,
      chunk_offset INTEGER NOT NULL CHECK (chunk_offset >= 0),
      data BLOB NOT NULL,
      PRIMARY KEY (session_id, path, chunk_offset)
    )`,
  ],
];

/**
 * Bring the driver's tables to {@link RIVET_SCHEMA_VERSION}, in one transaction.
 * @throws RivetSchemaVersionError when the database records a newer version; nothing is changed.
 */
export async function migrate(db: RivetSqlDatabase): Promise<void> {
  await db.transaction(
    async (tx) => {
      await tx.execute(`CREATE TABLE IF NOT EXISTS ${META_TABLE} (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
      const rows = await tx.execute(`SELECT value FROM ${META_TABLE} WHERE key = 'schema_version'`);
      const found = rows.length === 0 ? 0 : Number(rows[0]!.value);
      if (found > RIVET_SCHEMA_VERSION) throw new RivetSchemaVersionError(found, RIVET_SCHEMA_VERSION);
      for (let version = found + 1; version <= RIVET_SCHEMA_VERSION; version++) {
        for (const statement of MIGRATIONS[version]!) await tx.execute(statement);
      }
      if (found < RIVET_SCHEMA_VERSION) {
        await tx.execute(
          `INSERT INTO ${META_TABLE} (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          RIVET_SCHEMA_VERSION,
        );
      }
    },
    { name: "durable_agent_migrate" },
  );
}
