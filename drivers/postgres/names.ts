import { PersistValidationError } from "../../src/persist/errors.js";

// Schema and table names are spliced into SQL text (identifiers cannot be bound as
// parameters), so they are checked against a strict pattern and refused otherwise. Nothing
// is escaped: a name that needs escaping is not accepted in the first place.

/** A PostgreSQL schema name this driver accepts: lowercase letters, digits and `_`, not starting with a digit. */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]*$/;
/** A table prefix: the same alphabet, or empty. */
const PREFIX_PATTERN = /^([a-z_][a-z0-9_]*)?$/;
/** PostgreSQL truncates identifiers longer than this many bytes. */
const MAX_IDENTIFIER_LENGTH = 63;
/** Prefix of the table names when none is given. */
export const DEFAULT_TABLE_PREFIX = "durable_agent_";
/** The schema holding the tables when none is given. */
export const DEFAULT_SCHEMA = "public";
/** The longest name the driver appends to the prefix (see {@link TableNames}). */
const LONGEST_SUFFIX = "schema_migrations".length;

/** Fully qualified, quoted names of every object the driver creates. */
export interface TableNames {
  /** The schema, quoted: `"public"`. */
  schema: string;
  /** Raw (unquoted) schema name, for catalog lookups. */
  schemaName: string;
  /** Raw (unquoted) table prefix. */
  prefix: string;
  /** Session records. */
  sessions: string;
  /** Session events. */
  events: string;
  /** Applied migrations, one row per version. */
  migrations: string;
  /** Index behind `listSessions` order, on `(created_at, id)` (unqualified, unquoted). */
  sessionsOrder: string;
  /** Unique constraint, and its index, on the events' `(session_id, event_index)` (unqualified, unquoted). */
  eventsOrder: string;
}

/**
 * Validate `schema` and `tablePrefix` and build the qualified table names.
 * @throws PersistValidationError when either is not a plain lowercase identifier.
 */
export function tableNames(schema: unknown, tablePrefix: unknown): TableNames {
  const issues = [];
  if (typeof schema !== "string" || !SCHEMA_PATTERN.test(schema) || schema.length > MAX_IDENTIFIER_LENGTH) {
    issues.push({
      path: "options.schema",
      message: `must match ${SCHEMA_PATTERN} and be at most ${MAX_IDENTIFIER_LENGTH} characters, got ${JSON.stringify(schema)}`,
    });
  } else if (schema.startsWith("pg_")) {
    issues.push({ path: "options.schema", message: `must not start with "pg_" (reserved by PostgreSQL)` });
  }
  const maxPrefix = MAX_IDENTIFIER_LENGTH - LONGEST_SUFFIX;
  if (typeof tablePrefix !== "string" || !PREFIX_PATTERN.test(tablePrefix) || tablePrefix.length > maxPrefix) {
    issues.push({
      path: "options.tablePrefix",
      message: `must match ${PREFIX_PATTERN} and be at most ${maxPrefix} characters, got ${JSON.stringify(tablePrefix)}`,
    });
  }
  if (issues.length > 0) throw new PersistValidationError("PostgreSQL driver options", issues);
  const s = schema as string;
  const p = tablePrefix as string;
  const q = (name: string) => `"${s}"."${p}${name}"`;
  return {
    schema: `"${s}"`,
    schemaName: s,
    prefix: p,
    sessions: q("sessions"),
    events: q("events"),
    migrations: q("schema_migrations"),
    sessionsOrder: `${p}sessions_order`,
    eventsOrder: `${p}events_order`,
  };
}
