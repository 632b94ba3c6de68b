import { PersistValidationError, SchemaVersionError } from "../../src/persist/errors.js";

/**
 * The database's schema was migrated by a newer version of durable-agent than this one.
 * Nothing was changed; upgrade the package (or point the driver at another schema/prefix).
 */
export class PostgresSchemaVersionError extends SchemaVersionError {
  /** The version recorded in the database. */
  declare readonly foundVersion: number;

  /**
   * @param table the migrations table that records the version.
   * @param foundVersion the version recorded there.
   * @param supportedVersion the newest version this build knows.
   */
  constructor(table: string, foundVersion: number, supportedVersion: number) {
    super(
      "persist.schema_too_new",
      `${table} is at schema version ${foundVersion}, but this version of durable-agent only knows versions up to ${supportedVersion}; upgrade durable-agent`,
      foundVersion,
      supportedVersion,
    );
  }

  /** @deprecated The same as {@link PostgresSchemaVersionError.foundVersion} (its former name). */
  get databaseVersion(): number {
    return this.foundVersion;
  }
}

/** The SQLSTATE of an error raised by the server, when it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Whether the server refused a row because a unique constraint already holds its key. */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === "23505";
}

/**
 * Turn a "data exception" raised by the server (SQLSTATE class 22: a JSON string PostgreSQL
 * cannot store, such as one with `\u0000`) into the typed validation error; other errors
 * pass through unchanged.
 */
export function asValidationError(error: unknown, what: string, path: string): unknown {
  const state = sqlState(error);
  if (state === undefined || !state.startsWith("22")) return error;
  return new PersistValidationError(what, [
    { path, message: `PostgreSQL cannot store it (${(error as Error).message})` },
  ]);
}
