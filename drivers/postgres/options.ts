import type { Pool } from "pg";
import { PersistValidationError } from "../../src/persist/errors.js";
import { assertConnectionString } from "./connection-string.js";
import { DEFAULT_SCHEMA, DEFAULT_TABLE_PREFIX, tableNames, type TableNames } from "./names.js";

/** Options of `PostgresSessionPersistDriver`. */
export interface PostgresSessionPersistDriverOptions {
  /**
   * A `postgres://` (or `postgresql://`) connection string; the driver opens its own pool and
   * ends it on `close()`. pg's Unix socket forms (`/var/run/postgresql mydb`,
   * `socket:/var/run/postgresql?db=mydb`) work too; anything else (libpq `key=value` strings
   * included, which pg cannot read) is refused at construction. Give this or `pool`; with
   * neither, pg's `PG*` environment variables apply.
   */
  connectionString?: string;
  /** An existing pool to run on. The caller owns it: `close()` leaves it open. */
  pool?: Pool;
  /** Schema holding the tables, created when missing. Lowercase letters, digits and `_`. Default `"public"`. */
  schema?: string;
  /** Prefix of the table names (`<prefix>sessions`, `<prefix>events`, `<prefix>schema_migrations`). Default `"durable_agent_"`. */
  tablePrefix?: string;
  /**
   * Signal every insert on a LISTEN/NOTIFY channel, so that `followSession` in other
   * processes sees new events as they commit. Default `false` (a NOTIFY serializes commits
   * server-side; turn it on only where something follows sessions live).
   */
  notify?: boolean;
}

/** The options, checked, with their defaults applied. */
export interface ResolvedOptions {
  /** Every schema object's name. */
  names: TableNames;
  /** Whether inserts signal followers. */
  notify: boolean;
  /** The caller's pool, or what to open one with (`undefined`: pg's `PG*` environment variables). */
  source: { pool: Pool } | { connectionString: string | undefined };
}

/**
 * Check the options and apply the defaults; nothing is connected.
 * @throws PersistValidationError when `schema` or `tablePrefix` is not a plain identifier, when
 * `connectionString` is not a PostgreSQL URL pg can read, or when both `pool` and
 * `connectionString` are given.
 */
export function resolveOptions(options: PostgresSessionPersistDriverOptions = {}): ResolvedOptions {
  const names = tableNames(options.schema ?? DEFAULT_SCHEMA, options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  if (options.pool !== undefined && options.connectionString !== undefined) {
    throw new PersistValidationError("PostgreSQL driver options", [
      { path: "options", message: "give either connectionString or pool, not both" },
    ]);
  }
  if (options.connectionString !== undefined) assertConnectionString(options.connectionString);
  const source = options.pool !== undefined ? { pool: options.pool } : { connectionString: options.connectionString };
  return { names, notify: options.notify === true, source };
}
