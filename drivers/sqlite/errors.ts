import { PersistError } from "../../src/persist/errors.js";

/**
 * The database was migrated by a newer release of this driver: its schema version is
 * above the newest one this release knows. Nothing was changed; upgrade the package (or
 * point the driver at another file or table prefix).
 */
export class UnsupportedSchemaVersionError extends PersistError {
  /** The version recorded in the database. */
  readonly foundVersion: number;
  /** The newest version this release can use. */
  readonly supportedVersion: number;

  constructor(table: string, foundVersion: number, supportedVersion: number) {
    super(
      "persist.schema_too_new",
      `Table "${table}" records schema version ${foundVersion}, but this release of the SQLite driver ` +
        `only knows versions up to ${supportedVersion}; upgrade durable-agent to open this database. Nothing was changed.`,
    );
    this.foundVersion = foundVersion;
    this.supportedVersion = supportedVersion;
  }
}
