import { PersistValidationError } from "../../src/persist/errors.js";

/** Prefix put in front of every table and index name when none is given. */
export const DEFAULT_TABLE_PREFIX = "durable_agent_";

// A prefix is spliced into SQL as part of an identifier, so it is checked, never escaped:
// ASCII letters, digits and underscores, not starting with a digit, and not SQLite's own
// reserved "sqlite_" namespace.
const PREFIX_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The names of every schema object of one driver, all sharing one validated prefix (unquoted). */
export interface TableNames {
  /** The prefix the names were built from. */
  readonly prefix: string;
  /** Applied migrations, one row per version: `<prefix>schema_version`. */
  readonly migrations: string;
  /** One row per session record: `<prefix>sessions`. */
  readonly sessions: string;
  /** One row per event: `<prefix>events`. */
  readonly events: string;
  /** Index behind `listSessions` order, on `(created_at, id)`: `<prefix>sessions_created_at_id`. */
  readonly sessionsOrder: string;
}

/**
 * Validate a table prefix and derive every table and index name from it.
 * @throws PersistValidationError when the prefix is not a plain SQL identifier.
 */
export function tableNames(prefix: unknown = DEFAULT_TABLE_PREFIX): TableNames {
  if (typeof prefix !== "string" || !PREFIX_PATTERN.test(prefix) || /^sqlite_/i.test(prefix)) {
    throw new PersistValidationError("SQLite driver options", [
      {
        path: "options.tablePrefix",
        message:
          "must be 1-64 ASCII letters, digits or underscores, not starting with a digit or with \"sqlite_\"" +
          ` (got ${JSON.stringify(prefix)})`,
      },
    ]);
  }
  return {
    prefix,
    migrations: `${prefix}schema_version`,
    sessions: `${prefix}sessions`,
    events: `${prefix}events`,
    sessionsOrder: `${prefix}sessions_created_at_id`,
  };
}
