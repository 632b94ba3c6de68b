import type Database from "better-sqlite3";
import { PersistValidationError } from "../../src/persist/errors.js";
import { tableNames, type TableNames } from "./names.js";

/** Options shared by both ways of opening the SQLite driver. */
export interface SQLiteCommonOptions {
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

/** Options of `SQLiteSessionPersistDriver`: a file to open, or an open database. */
export type SQLiteSessionPersistDriverOptions = SQLiteCommonOptions &
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

/** The options, checked, with their defaults applied. */
export interface ResolvedOptions {
  /** Every table and index name. */
  names: TableNames;
  /** The `synchronous` pragma asked for. */
  synchronous: "normal" | "full";
  /** The `busy_timeout` pragma, in ms. */
  busyTimeoutMs: number;
  /** The file to open, or the database to adopt (exactly one is set). */
  source: { filename: string } | { database: Database.Database };
}

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

function invalid(path: string, message: string): PersistValidationError {
  return new PersistValidationError("SQLite driver options", [{ path: path ? `options.${path}` : "options", message }]);
}

/**
 * Check the options and apply the defaults, before anything is opened.
 * @throws PersistValidationError naming the first bad option.
 */
export function resolveOptions(options: SQLiteSessionPersistDriverOptions): ResolvedOptions {
  const opts = options as Partial<SQLiteCommonOptions & { filename: unknown; database: unknown }> | null | undefined;
  const names = tableNames(opts?.tablePrefix);
  if (typeof opts !== "object" || opts === null) throw invalid("", "must be an object");
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw invalid("busyTimeoutMs", "must be a non-negative integer");
  const synchronous = opts.synchronous ?? "normal";
  if (synchronous !== "normal" && synchronous !== "full") throw invalid("synchronous", 'must be "normal" or "full"');
  if ((opts.filename === undefined) === (opts.database === undefined)) {
    throw invalid("filename", "give exactly one of `filename` and `database`");
  }
  if (opts.database !== undefined) {
    if (!isDatabase(opts.database)) throw invalid("database", "must be a better-sqlite3 Database");
    return { names, synchronous, busyTimeoutMs, source: { database: opts.database } };
  }
  if (typeof opts.filename !== "string" || opts.filename === "") throw invalid("filename", 'must be a file path or ":memory:"');
  return { names, synchronous, busyTimeoutMs, source: { filename: opts.filename } };
}
