import { readFileSync } from "node:fs";
import { currentBoot, sameBoot } from "./boot.js";
import { FileStoreVersionError } from "./errors.js";
import { errno, writeFileAtomic, type FsyncPolicy } from "./io.js";

// store.json: the directory's format version, and the boot its derived files (listing
// index, registry, page indexes) were last known to match.

/** The format this release writes. */
export const FILE_FORMAT_VERSION = 1;

/** What store.json holds. */
interface StoreMeta {
  format: number;
  boot: string;
}

/**
 * Under the store's lock: whether the derived files must be rebuilt (the machine restarted
 * since they were written, or the store is older than store.json). Creates store.json for
 * a new store.
 * @throws FileStoreVersionError when a newer release wrote the directory.
 */
export function needsRebuild(path: string, policy: FsyncPolicy): boolean {
  let meta: StoreMeta | undefined;
  try {
    meta = JSON.parse(readFileSync(path, "utf8")) as StoreMeta;
  } catch (error) {
    if (errno(error) !== "ENOENT") throw error;
  }
  if (meta === undefined) {
    markRebuilt(path, policy);
    return false;
  }
  if (meta.format > FILE_FORMAT_VERSION) throw new FileStoreVersionError(path, meta.format, FILE_FORMAT_VERSION);
  return !sameBoot(meta.boot, currentBoot());
}

/** Record that the derived files match this boot. */
export function markRebuilt(path: string, policy: FsyncPolicy): void {
  const meta: StoreMeta = { format: FILE_FORMAT_VERSION, boot: currentBoot() };
  writeFileAtomic(path, `${JSON.stringify(meta)}\n`, policy);
}
