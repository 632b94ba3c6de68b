import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { SessionRecord } from "../../src/persist/types.js";
import { ENTRY, writeEntry } from "./event-log.js";
import { errno, readAt, syncData, writeAll, writeFileAtomic, type FsyncPolicy } from "./io.js";
import { scanLines } from "./lines.js";
import { bucketOf, SESSION_FILES, type StorePaths } from "./names.js";
import { markRebuilt } from "./store-meta.js";

// After an OS crash or power loss, the derived files (written without fsync) may lag the
// synced logs and records: rebuild all of them from the logs and records, under the store's
// lock, once per boot. A process crash needs none of this (the page cache kept every write).

/** Rebuild the page indexes, the registry and the listing index from the logs and records; cut torn log tails. */
export function rebuildDerivedFiles(paths: StorePaths, policy: FsyncPolicy): void {
  rmSync(paths.trash, { recursive: true, force: true });
  rmSync(paths.eventIds, { recursive: true, force: true });
  const buckets = new Map<string, string[]>();
  const listing: string[] = [];
  const names = existsSync(paths.sessions) ? readdirSync(paths.sessions) : [];
  for (const name of names) {
    const dir = join(paths.sessions, name);
    for (const file of readdirSync(dir)) if (file.includes(".tmp-")) unlinkSync(join(dir, file));
    const record = readRecord(join(dir, SESSION_FILES.record));
    if (record !== undefined) listing.push(`${JSON.stringify([record.createdAt, record.id])}\n`);
    for (const line of reindex(dir, policy)) {
      const bucket = bucketOf(line.id);
      buckets.set(bucket, [...(buckets.get(bucket) ?? []), `${JSON.stringify([line.id, line.sessionId, line.eventIndex])}\n`]);
    }
  }
  mkdirSync(paths.eventIds, { recursive: true });
  for (const [bucket, lines] of buckets) writeFileAtomic(paths.bucket(bucket), lines.join(""), policy);
  writeFileAtomic(paths.sessionsIndex, listing.join(""), policy);
  markRebuilt(paths.meta, policy);
}

function readRecord(path: string): SessionRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as SessionRecord;
  } catch (error) {
    if (errno(error) === "ENOENT") return undefined;
    throw error;
  }
}

/** Rewrite one session's page index from its log (cutting a torn tail); the lines found. */
function reindex(dir: string, policy: FsyncPolicy) {
  const logPath = join(dir, SESSION_FILES.log);
  if (!existsSync(logPath)) return [];
  const fd = openSync(logPath, "r+");
  try {
    const data = readAt(fd, 0, statSync(logPath).size);
    const { lines, end } = scanLines(data);
    if (end < data.length) {
      ftruncateSync(fd, end);
      syncData(fd, policy);
    }
    const entries = Buffer.alloc(lines.length * ENTRY);
    lines.forEach((line, i) => writeEntry(entries, i * ENTRY, line.eventIndex, line.offset, line.length));
    const indexPath = join(dir, SESSION_FILES.index);
    rmSync(indexPath, { force: true });
    const indexFd = openSync(indexPath, "w");
    try {
      writeAll(indexFd, entries, 0);
    } finally {
      closeSync(indexFd);
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}
