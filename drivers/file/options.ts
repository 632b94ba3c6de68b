import { resolve } from "node:path";
import { PersistValidationError } from "../../src/persist/errors.js";
import type { FsyncPolicy } from "./io.js";

/** Options of the file driver and of the file session store. */
export interface FileOptions {
  /** The store's directory, created when missing. One directory per store. */
  directory: string;
  /**
   * `"always"` (default): every write is on the disk (fdatasync) before it is acknowledged,
   * so neither a process crash nor an OS crash or power loss loses it. `"never"`: writes
   * reach the OS page cache only: they survive a crash of the process, not of the machine,
   * and are much faster. See docs/drivers/file.md.
   */
  fsync?: FsyncPolicy;
  /** How long a write waits for another process's write lock before failing with `FileStoreBusyError`, in ms (default 10,000). */
  lockTimeoutMs?: number;
}

/** The options, checked, with their defaults applied. */
export interface ResolvedFileOptions {
  /** Absolute path of the directory. */
  directory: string;
  /** The fsync policy. */
  fsync: FsyncPolicy;
  /** The lock timeout, in ms. */
  lockTimeoutMs: number;
}

/**
 * Check the options and apply the defaults; nothing is touched on disk.
 * @param what names the options in errors ("file driver options").
 * @throws PersistValidationError naming the first bad option.
 */
export function resolveFileOptions(options: FileOptions, what: string): ResolvedFileOptions {
  const invalid = (path: string, message: string) => new PersistValidationError(what, [{ path: `options${path}`, message }]);
  if (typeof options !== "object" || options === null) throw invalid("", "must be an object");
  const { directory, fsync = "always", lockTimeoutMs = 10_000 } = options;
  if (typeof directory !== "string" || directory === "" || directory.includes("\0")) {
    throw invalid(".directory", "must be a non-empty path without NUL characters");
  }
  if (fsync !== "always" && fsync !== "never") throw invalid(".fsync", 'must be "always" or "never"');
  if (!Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs < 0) throw invalid(".lockTimeoutMs", "must be a non-negative integer");
  return { directory: resolve(directory), fsync, lockTimeoutMs };
}
