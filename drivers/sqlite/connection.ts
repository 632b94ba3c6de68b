import Database from "better-sqlite3";
import { PersistValidationError } from "../../src/persist/errors.js";

// Opening the database and the pragmas the driver's guarantees rest on.

/** Options shared by both ways of opening the driver. */
export interface CommonOptions {
  /**
   * Prefix of every table and index the driver creates (default `"durable_agent_"`), so
   * several drivers, or other applications, can share one file. 1-64 ASCII letters, digits
   * or underscores, not starting with a digit or `sqlite_`; anything else is refused with a
   * `PersistValidationError`.
   */
  tablePrefix?: string;
  /**
   * `"normal"` (default): a commit is safe from a crash of the process as soon as it is
   * acknowledged; an OS crash or power loss can roll back the most recent commits (see
   * docs/drivers/sqlite.md). `"full"`: every commit is also flushed to the disk before it is
   * acknowledged, at a large cost in write speed.
   */
  synchronous?: "normal" | "full";
  /** How long a write waits for another connection's lock before failing, in ms (default 5000). */
  busyTimeoutMs?: number;
}

/** Options of {@link SQLiteSessionPersistDriver}: a file to open, or an open database. */
export type SQLiteSessionPersistDriverOptions = CommonOptions &
  (
    | {
        /** Path of the database file (created when missing), or `":memory:"`. */
        filename: string;
        database?: undefined;
      }
    | {
        /**
         * An open better-sqlite3 database to use instead of opening `filename`. The driver
         * sets its pragmas (WAL, synchronous, busy_timeout) and creates its tables in it, but
         * does not close it: that is left to its owner.
         */
        database: Database.Database;
        filename?: undefined;
      }
  );

// Duck-typed rather than instanceof, so a Database from another copy of better-sqlite3 works.
function isDatabase(value: unknown): value is Database.Database {
  const db = value as Partial<Record<"prepare" | "pragma" | "transaction" | "exec", unknown>> | null;
  return (
    typeof db === "object" &&
    db !== null &&
    typeof db.prepare === "function" &&
    typeof db.pragma === "function" &&
    typeof db.transaction === "function" &&
    typeof db.exec === "function"
  );
}

function invalidOption(path: string, message: string): PersistValidationError {
  return new PersistValidationError("SQLite driver options", [{ path: path ? `options.${path}` : "options", message }]);
}

/**
 * Open (or adopt) the database and set its pragmas: busy_timeout, WAL, synchronous.
 * @throws PersistValidationError on bad options, before anything is opened.
 */
export function openDatabase(options: SQLiteSessionPersistDriverOptions): { db: Database.Database; owned: boolean } {
  const opts = options as Partial<CommonOptions & { filename: unknown; database: unknown }>;
  if (typeof opts !== "object" || opts === null) throw invalidOption("", "must be an object");
  const busy = opts.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busy) || busy < 0) throw invalidOption("busyTimeoutMs", "must be a non-negative integer");
  const sync = opts.synchronous ?? "normal";
  if (sync !== "normal" && sync !== "full") throw invalidOption("synchronous", 'must be "normal" or "full"');
  if ((opts.filename === undefined) === (opts.database === undefined)) {
    throw invalidOption("filename", "give exactly one of `filename` and `database`");
  }
  if (opts.database === undefined && (typeof opts.filename !== "string" || opts.filename === "")) {
    throw invalidOption("filename", 'must be a file path or ":memory:"');
  }
  if (opts.database !== undefined && !isDatabase(opts.database)) {
    throw invalidOption("database", "must be a better-sqlite3 Database");
  }

  const owned = opts.database === undefined;
  const db = owned ? new Database(opts.filename as string) : (opts.database as Database.Database);
  try {
    db.pragma(`busy_timeout = ${busy}`);
    // WAL: readers never block the writer, and a commit is one append to the log.
    const mode = db.memory ? "memory" : String(db.pragma("journal_mode = WAL", { simple: true })).toLowerCase();
    // NORMAL is crash-safe only with WAL; a file that cannot use WAL (read-only directory,
    // network file system) gets FULL so that a power loss cannot corrupt it.
    const level = sync === "full" || (mode !== "wal" && !db.memory) ? "FULL" : "NORMAL";
    db.pragma(`synchronous = ${level}`);
  } catch (error) {
    if (owned) db.close();
    throw error;
  }
  return { db, owned };
}

