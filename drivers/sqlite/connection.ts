import Database from "better-sqlite3";
import type { ResolvedOptions } from "./options.js";

// Opening the database and the pragmas the driver's guarantees rest on.

/** An open database, and whether the driver opened it (and so closes it). */
export interface Connection {
  /** The database. */
  db: Database.Database;
  /** True when the driver opened the file; false for a database handed in by its owner. */
  owned: boolean;
}

/** Open (or adopt) the database and set its pragmas: busy_timeout, WAL, synchronous. */
export function openDatabase(options: ResolvedOptions): Connection {
  const owned = "filename" in options.source;
  const db = "filename" in options.source ? new Database(options.source.filename) : options.source.database;
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
    // WAL: readers never block the writer, and a commit is one append to the log.
    const mode = db.memory ? "memory" : String(db.pragma("journal_mode = WAL", { simple: true })).toLowerCase();
    // NORMAL is crash-safe only with WAL; a file that cannot use WAL (read-only directory,
    // network file system) gets FULL so that a power loss cannot corrupt it.
    const level = options.synchronous === "full" || (mode !== "wal" && !db.memory) ? "FULL" : "NORMAL";
    db.pragma(`synchronous = ${level}`);
  } catch (error) {
    if (owned) db.close();
    throw error;
  }
  return { db, owned };
}

/**
 * Open (or adopt) the database and run `setUp` on it (migrate, prepare); a database the
 * caller opened here is closed again when `setUp` throws.
 */
export function openAndSetUp<T>(options: ResolvedOptions, setUp: (db: Database.Database) => T): Connection & { prepared: T } {
  const connection = openDatabase(options);
  try {
    return { ...connection, prepared: setUp(connection.db) };
  } catch (error) {
    if (connection.owned) connection.db.close();
    throw error;
  }
}
