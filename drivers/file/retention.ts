import { randomBytes } from "node:crypto";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { ENTRY, writeEntry, type SessionLog } from "./event-log.js";
import { errno, syncData, syncDirectory, writeAll, type FsyncPolicy } from "./io.js";
import { eventLines } from "./lines.js";
import { SESSION_FILES, type StorePaths } from "./names.js";

// The file driver's event trim. A log is append-only and its page index holds byte offsets,
// so a trim writes the session anew: a sibling directory `<name>.trim` with the record, the
// kept events (the marker first) as a fresh log and index, synced; then the session's
// directory is swapped for it (renamed to the trash, the new one renamed into place) and the
// old one removed. Session names never contain a dot, so a `.trim` directory is never a
// session. A crash before the first rename leaves the old session whole (the `.trim` is
// dropped at the next set-up); a crash between the two renames leaves the new one ready,
// renamed into place at the next set-up of any process, or by the next trim of that session.

/** Suffix of a session directory being built by a trim. */
export const TRIM_SUFFIX = ".trim";

/** Events per write group in the new log (as a batch insert would write them). */
const GROUP = 500;

/** What a trim needs from the backend, all under the store's lock. */
export interface FileTrimContext {
  paths: StorePaths;
  policy: FsyncPolicy;
  /** The session's log, refreshed and recovered; `undefined` when the session has no events file. */
  log(): SessionLog | undefined;
  /** Whether an event with this id is stored (in any session). */
  idTaken(id: string): boolean;
  /** Claim the marker's id in the registry. */
  claim(sessionId: string, events: readonly SessionEvent[]): void;
  /** Forget the session's cached log (its files are replaced). */
  forget(): void;
}

/** Under the store's lock: trim one session (see the module comment); how many events were deleted. */
export function trimSessionFiles(ctx: FileTrimContext, sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): number {
  const { paths, policy } = ctx;
  const dir = paths.sessionDir(sessionId);
  finishTrimOf(dir);
  const log = ctx.log();
  if (log === undefined) return 0;
  const kept = log.after(beforeIndex - 1, log.size);
  const deleted = log.size - kept.length;
  if (deleted === 0) return 0;
  if (marker !== undefined && ctx.idTaken(marker.id)) throw new EventConflictError("id", sessionId, marker.id, marker.eventIndex);
  const events = marker === undefined ? kept : [marker, ...kept];

  const next = dir + TRIM_SUFFIX;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next);
  try {
    copyFileSync(join(dir, SESSION_FILES.record), join(next, SESSION_FILES.record));
  } catch (error) {
    if (errno(error) !== "ENOENT") throw error;
  }
  writeLogAndIndex(next, events, policy);
  syncDirectory(next, policy);

  ctx.forget();
  mkdirSync(paths.trash, { recursive: true });
  const trash = join(paths.trash, randomBytes(8).toString("hex"));
  renameSync(dir, trash);
  renameSync(next, dir);
  syncDirectory(paths.sessions, policy);
  if (marker !== undefined) ctx.claim(sessionId, [marker]);
  rmSync(trash, { recursive: true, force: true });
  return deleted;
}

/** Write `events` as a fresh log (groups of {@link GROUP}) and its page index into `dir`, synced. */
function writeLogAndIndex(dir: string, events: readonly SessionEvent[], policy: FsyncPolicy): void {
  const chunks: Buffer[] = [];
  const entries = Buffer.alloc(events.length * ENTRY);
  const newline = Buffer.from("\n");
  let offset = 0;
  for (let start = 0; start < events.length; start += GROUP) {
    const group = events.slice(start, start + GROUP);
    eventLines(group).forEach((line, i) => {
      writeEntry(entries, (start + i) * ENTRY, (group[i] as SessionEvent).eventIndex, offset, line.length);
      chunks.push(line, newline);
      offset += line.length + 1;
    });
  }
  for (const [file, data] of [
    [SESSION_FILES.log, Buffer.concat(chunks)],
    [SESSION_FILES.index, entries],
  ] as const) {
    const fd = openSync(join(dir, file), "w");
    try {
      writeAll(fd, data, 0);
      syncData(fd, policy);
    } finally {
      closeSync(fd);
    }
  }
}

/** Finish or drop the `.trim` directory of one session after a crash (see the module comment). */
function finishTrimOf(dir: string): void {
  const next = dir + TRIM_SUFFIX;
  if (!existsSync(next)) return;
  if (existsSync(dir)) rmSync(next, { recursive: true, force: true });
  else renameSync(next, dir);
}

/** Under the store's lock, at set-up: finish or drop every `.trim` directory a crashed trim left. */
export function finishTrims(paths: StorePaths): void {
  let names: string[];
  try {
    names = readdirSync(paths.sessions);
  } catch (error) {
    if (errno(error) === "ENOENT") return;
    throw error;
  }
  for (const name of names) if (name.endsWith(TRIM_SUFFIX)) finishTrimOf(join(paths.sessions, name.slice(0, -TRIM_SUFFIX.length)));
}
