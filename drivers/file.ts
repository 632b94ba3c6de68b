/**
 * `durable-agent/file`: session persistence (and the Claude Agent SDK's `SessionStore`) in
 * plain files, pure Node (no native dependency, no server).
 * @packageDocumentation
 */
import { LeasingPersistDriver } from "../src/persist/leasing-persist-driver.js";
import { FileBackend } from "./file/backend.js";
import { resolveFileOptions, type FileOptions } from "./file/options.js";

export { FileStoreBusyError, FileStoreVersionError } from "./file/errors.js";
export { FileSessionStore, type FileSessionStoreOptions } from "./file/session-store.js";
export { FILE_FORMAT_VERSION } from "./file/store-meta.js";
export type { FileOptions } from "./file/options.js";
export type { FsyncPolicy } from "./file/io.js";

const DRIVER_NAME = "FileSessionPersistDriver";

/** Options of {@link FileSessionPersistDriver}. */
export type FileSessionPersistDriverOptions = FileOptions;

/**
 * Session persistence in a directory of plain files: an append-only JSONL log per session
 * (never rewritten), synced before a write is acknowledged; a torn last write after a crash
 * is detected and dropped; a small page index per session, so pages and tail reads cost a
 * page; a write lock shared by every process on the directory. The default persistent store
 * for Node apps and CLIs that cannot build better-sqlite3. See docs/drivers/file.md.
 *
 * ```ts
 * const persist = new FileSessionPersistDriver({ directory: "./sessions" });
 * ```
 */
export class FileSessionPersistDriver extends LeasingPersistDriver {
  /**
   * @throws PersistValidationError on bad options. Nothing is touched on disk until the first call.
   */
  constructor(options: FileSessionPersistDriverOptions) {
    super(DRIVER_NAME, new FileBackend(resolveFileOptions(options, "file driver options")));
  }
}
