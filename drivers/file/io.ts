import { randomBytes } from "node:crypto";
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

// The few file operations every part of the file driver is built from, with its fsync policy.

/** When the driver waits for the disk: `"always"` before every write is acknowledged, `"never"`. */
export type FsyncPolicy = "always" | "never";

/** The error code of a failed file operation (`"ENOENT"`, ...). */
export function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** `fdatasync` the file when the policy says so. */
export function syncData(fd: number, policy: FsyncPolicy): void {
  if (policy === "always") fdatasyncSync(fd);
}

/** `fsync` a directory (making created, renamed and removed entries durable) when the policy says so. */
export function syncDirectory(path: string, policy: FsyncPolicy): void {
  if (policy !== "always") return;
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Write all of `data` at `position` (or at the end of a file opened for appending). */
export function writeAll(fd: number, data: Buffer, position: number | null): void {
  let written = 0;
  while (written < data.length) {
    written += writeSync(fd, data, written, data.length - written, position === null ? null : position + written);
  }
}

/** Read `length` bytes at `position`; fewer when the file ends before. */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return read === length ? buffer : buffer.subarray(0, read);
}

/**
 * Replace `path` with `text` so that a reader, or a crash, sees the old file or the new one
 * and never a mix: a temp file beside it, synced, renamed over it, and the directory synced.
 */
export function writeFileAtomic(path: string, text: string, policy: FsyncPolicy): void {
  const temp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  const fd = openSync(temp, "w");
  try {
    writeAll(fd, Buffer.from(text, "utf8"), 0);
    syncData(fd, policy);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  syncDirectory(dirname(path), policy);
}
