import { PersistError, SchemaVersionError } from "../../src/persist/errors.js";

/**
 * The actor's state cannot be used as it is: the driver's key holds something that is not
 * its data (another program's value, a damaged object), or the events of this actor live in
 * its SQLite database while the driver was opened without it. Nothing was changed.
 */
export class RivetStateError extends PersistError {
  /** The key of `c.state` that was looked at. */
  readonly stateKey: string;

  /**
   * @param stateKey the key of `c.state`.
   * @param reason what is wrong and what to do.
   */
  constructor(stateKey: string, reason: string) {
    super("persist.rivet.state", `The actor state under "${stateKey}" cannot be used: ${reason}. Nothing was changed.`);
    this.stateKey = stateKey;
  }
}

/** The actor's database was written by a newer release of this driver (its schema version is newer). Nothing was changed. */
export class RivetSchemaVersionError extends SchemaVersionError {
  /** The version recorded in the database. */
  declare readonly foundVersion: number;

  /**
   * @param foundVersion the version recorded in the actor's database.
   * @param supportedVersion the newest version this release knows.
   */
  constructor(foundVersion: number, supportedVersion: number) {
    super(
      "persist.schema_too_new",
      `The actor's database records durable-agent schema version ${foundVersion}, but this release of the Rivet driver only knows versions up to ${supportedVersion}; upgrade durable-agent to open it. Nothing was changed.`,
      foundVersion,
      supportedVersion,
    );
  }
}
