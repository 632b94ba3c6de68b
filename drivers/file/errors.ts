import { PersistError, SchemaVersionError } from "../../src/persist/errors.js";

/**
 * Another process held the store's write lock for longer than `lockTimeoutMs`: the
 * directory is in use (a long write, or a process stopped while holding it: see
 * docs/drivers/file.md). Nothing was written.
 */
export class FileStoreBusyError extends PersistError {
  /** The store's directory. */
  readonly directory: string;
  /** The pid recorded in the lock, when it could be read. */
  readonly holderPid: number | undefined;

  /**
   * @param directory the store's directory.
   * @param holderPid the pid recorded in the lock.
   * @param waitedMs how long the call waited.
   */
  constructor(directory: string, holderPid: number | undefined, waitedMs: number) {
    super(
      "persist.file.busy",
      `The session store in ${directory} is in use: its write lock is held by ` +
        `${holderPid === undefined ? "another process" : `process ${holderPid}`} and was not released within ${waitedMs} ms; nothing was written`,
    );
    this.directory = directory;
    this.holderPid = holderPid;
  }
}

/** The directory was written by a newer release of this driver (its `store.json` format is newer). Nothing was changed. */
export class FileStoreVersionError extends SchemaVersionError {
  /** The format recorded in the directory. */
  declare readonly foundVersion: number;

  /**
   * @param file the `store.json` that records the format.
   * @param foundVersion the format recorded there.
   * @param supportedVersion the newest format this release knows.
   */
  constructor(file: string, foundVersion: number, supportedVersion: number) {
    super(
      "persist.schema_too_new",
      `${file} records format ${foundVersion}, but this release of the file driver only knows formats up to ${supportedVersion}; upgrade durable-agent to open it. Nothing was changed.`,
      foundVersion,
      supportedVersion,
    );
  }
}
