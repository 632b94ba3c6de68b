import { SchemaVersionError } from "../../src/persist/errors.js";

/**
 * The database was migrated by a newer release of this driver: its schema version is
 * above the newest one this release knows. Nothing was changed; upgrade the package (or
 * point the driver at another file or table prefix).
 */
export class SQLiteSchemaVersionError extends SchemaVersionError {
  /** The version recorded in the database. */
  declare readonly foundVersion: number;

  /**
   * @param table the migrations table that records the version.
   * @param foundVersion the version recorded there.
   * @param supportedVersion the newest version this release knows.
   */
  constructor(table: string, foundVersion: number, supportedVersion: number) {
    super(
      "persist.schema_too_new",
      `Table "${table}" records schema version ${foundVersion}, but this release of the SQLite driver ` +
        `only knows versions up to ${supportedVersion}; upgrade durable-agent to open this database. Nothing was changed.`,
      foundVersion,
      supportedVersion,
    );
  }
}
