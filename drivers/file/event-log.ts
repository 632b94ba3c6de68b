import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import type { SessionEvent } from "../../src/persist/types.js";
import { errno, readAt, syncData, syncDirectory, writeAll, type FsyncPolicy } from "./io.js";
import { SESSION_FILES } from "./names.js";
import { parseLine, scanLines } from "./lines.js";

/** Bytes of one page-index entry: eventIndex (float64), offset (float64), length (uint32), reserved (uint32). */
export const ENTRY = 24;

/**
 * One session's events as this process sees them: the append-only log (`events.jsonl`) and
 * its page index (`events.idx`, one fixed-size entry per event, in write order), loaded into
 * sorted arrays and caught up from the file sizes on every call. Pages and tails are a
 * binary search and one positional read of the lines they cover, whatever the session's size.
 *
 * Readers need no lock: the log is written before the index, so every whole index entry
 * points at whole lines. Writers hold the store's lock and call {@link SessionLog.recover}
 * first, which completes the index from lines a crashed writer left unindexed and cuts a
 * torn last write.
 */
export class SessionLog {
  /** eventIndex of each event, ascending. */
  #indexes: number[] = [];
  /** Byte offset of each event's line in the log, in the order of `#indexes`. */
  #offsets: number[] = [];
  /** Byte length of each event's line (without its newline). */
  #lengths: number[] = [];
  /** Bytes of the index file consumed (whole entries). */
  #indexBytes = 0;
  /** End of the last indexed line (with its newline): where the next write goes. */
  #logEnd = 0;
  /** The index file's inode: a new one means the session was deleted and made again. */
  #ino = -1;
  /** The index file's size at the last refresh (torn entry included). */
  #indexSize = 0;
  /** Read handle of the log. */
  #logFd: number | undefined;
  /** Write handles (writers only): the log opened for appending, the index for positional writes. */
  #appendFd: number | undefined;
  #indexFd: number | undefined;

  /** @param dir the session's directory. */
  constructor(readonly dir: string) {}

  /** How many events the session has. */
  get size(): number {
    return this.#indexes.length;
  }

  /** Catch up with the index file; `false` (and empty) when the session has no events file. */
  refresh(): boolean {
    let ino: number;
    let size: number;
    try {
      ({ ino, size } = statSync(join(this.dir, SESSION_FILES.index)));
    } catch (error) {
      if (errno(error) !== "ENOENT") throw error;
      this.#reset(-1);
      return false;
    }
    if (ino !== this.#ino) this.#reset(ino);
    this.#indexSize = size;
    const whole = size - (size % ENTRY);
    if (whole > this.#indexBytes) {
      const fd = openSync(join(this.dir, SESSION_FILES.index), "r");
      try {
        this.#addEntries(readAt(fd, this.#indexBytes, whole - this.#indexBytes));
      } finally {
        closeSync(fd);
      }
    }
    return true;
  }

  /**
   * Writer only, under the store's lock, after {@link SessionLog.refresh}: index the lines a
   * crashed writer wrote but did not index (whole write groups only), and cut what follows
   * (a torn write, a torn index entry), so that the next write lands on a clean end.
   */
  recover(policy: FsyncPolicy): void {
    const logPath = join(this.dir, SESSION_FILES.log);
    let logSize: number;
    try {
      logSize = statSync(logPath).size;
    } catch (error) {
      if (errno(error) === "ENOENT") return;
      throw error;
    }
    if (logSize === this.#logEnd && this.#indexSize === this.#indexBytes) return; // the usual case: nothing to do
    const indexFd = this.#writeIndexFd();
    if (fstatSync(indexFd).size !== this.#indexBytes) ftruncateSync(indexFd, this.#indexBytes);
    this.#indexSize = this.#indexBytes;
    if (logSize === this.#logEnd) return;
    const logFd = openSync(logPath, "r+");
    try {
      const tail = readAt(logFd, this.#logEnd, logSize - this.#logEnd);
      const { lines, end } = scanLines(tail);
      const entries = Buffer.alloc(lines.length * ENTRY);
      lines.forEach((line, i) => writeEntry(entries, i * ENTRY, line.eventIndex, this.#logEnd + line.offset, line.length));
      if (end < tail.length) {
        ftruncateSync(logFd, this.#logEnd + end);
        syncData(logFd, policy);
      }
      if (entries.length > 0) writeAll(indexFd, entries, this.#indexBytes);
      this.#addEntries(entries);
      this.#indexSize = this.#indexBytes;
    } finally {
      closeSync(logFd);
    }
  }

  /** Position of `eventIndex` in the sorted arrays, or -1. */
  find(eventIndex: number): number {
    const at = this.#lowerBound(eventIndex);
    return this.#indexes[at] === eventIndex ? at : -1;
  }

  /** The event at a position of the sorted arrays. */
  eventAt(position: number): SessionEvent | undefined {
    return this.read(position, position + 1)[0];
  }

  /** Up to `limit` events with `eventIndex > afterIndex`, ascending. */
  after(afterIndex: number, limit: number): SessionEvent[] {
    const from = this.#lowerBound(afterIndex + 1);
    return this.read(from, Math.min(from + limit, this.size));
  }

  /** The last `limit` events, ascending. */
  tail(limit: number): SessionEvent[] {
    return this.read(Math.max(0, this.size - limit), this.size);
  }

  /** The events at positions `[from, to)`: lines adjacent in the file are read together. */
  read(from: number, to: number): SessionEvent[] {
    if (from >= to) return [];
    this.#logFd ??= openSync(join(this.dir, SESSION_FILES.log), "r");
    const events: SessionEvent[] = [];
    let i = from;
    while (i < to) {
      let j = i + 1;
      while (j < to && this.#offsets[j] === (this.#offsets[j - 1] as number) + (this.#lengths[j - 1] as number) + 1) j++;
      const start = this.#offsets[i] as number;
      const end = (this.#offsets[j - 1] as number) + (this.#lengths[j - 1] as number);
      const chunk = readAt(this.#logFd, start, end - start);
      for (let k = i; k < j; k++) {
        const at = (this.#offsets[k] as number) - start;
        events.push(parseLine(chunk.subarray(at, at + (this.#lengths[k] as number))));
      }
      i = j;
    }
    return events;
  }

  /**
   * Writer only, under the store's lock, after {@link SessionLog.recover}: append the events
   * as one write to the log (synced by the policy), then their index entries.
   */
  append(events: readonly SessionEvent[], lines: readonly Buffer[], policy: FsyncPolicy): void {
    const created = this.#ensureFiles(policy);
    const data = Buffer.concat(lines.flatMap((line) => [line, NEWLINE]));
    const entries = Buffer.alloc(events.length * ENTRY);
    let offset = this.#logEnd;
    for (let i = 0; i < events.length; i++) {
      const length = (lines[i] as Buffer).length;
      writeEntry(entries, i * ENTRY, (events[i] as SessionEvent).eventIndex, offset, length);
      offset += length + 1;
    }
    this.#appendFd ??= openSync(join(this.dir, SESSION_FILES.log), "a");
    writeAll(this.#appendFd, data, null);
    syncData(this.#appendFd, policy);
    writeAll(this.#writeIndexFd(), entries, this.#indexBytes);
    if (created) syncDirectory(this.dir, policy);
    this.#addEntries(entries);
    this.#indexSize = this.#indexBytes;
  }

  /** Close the file handles. */
  close(): void {
    for (const fd of [this.#logFd, this.#appendFd, this.#indexFd]) if (fd !== undefined) closeSync(fd);
    this.#logFd = undefined;
    this.#appendFd = undefined;
    this.#indexFd = undefined;
  }

  /** The index opened for positional writes (created when missing). */
  #writeIndexFd(): number {
    this.#indexFd ??= openSync(join(this.dir, SESSION_FILES.index), constants.O_RDWR | constants.O_CREAT);
    return this.#indexFd;
  }

  /** Create the directory and both files when missing; `true` when the files were created. */
  #ensureFiles(policy: FsyncPolicy): boolean {
    if (this.#ino !== -1) return false;
    mkdirSync(this.dir, { recursive: true });
    syncDirectory(join(this.dir, ".."), policy);
    for (const file of [SESSION_FILES.log, SESSION_FILES.index]) closeSync(openSync(join(this.dir, file), "a"));
    this.refresh();
    return true;
  }

  /** Add whole index entries read from (or written to) the index file. */
  #addEntries(entries: Buffer): void {
    for (let at = 0; at + ENTRY <= entries.length; at += ENTRY) {
      const index = entries.readDoubleLE(at);
      const offset = entries.readDoubleLE(at + 8);
      const length = entries.readUInt32LE(at + 16);
      const last = this.#indexes.length;
      if (last === 0 || index > (this.#indexes[last - 1] as number)) {
        this.#indexes.push(index);
        this.#offsets.push(offset);
        this.#lengths.push(length);
      } else {
        const position = this.#lowerBound(index); // written out of order: rare
        this.#indexes.splice(position, 0, index);
        this.#offsets.splice(position, 0, offset);
        this.#lengths.splice(position, 0, length);
      }
      this.#logEnd = Math.max(this.#logEnd, offset + length + 1);
      this.#indexBytes += ENTRY;
    }
  }

  /** First position whose eventIndex is `>= eventIndex`. */
  #lowerBound(eventIndex: number): number {
    let lo = 0;
    let hi = this.#indexes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#indexes[mid] as number) < eventIndex) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Forget everything (the files are gone, or were replaced). */
  #reset(ino: number): void {
    this.close();
    this.#indexes = [];
    this.#offsets = [];
    this.#lengths = [];
    this.#indexBytes = 0;
    this.#logEnd = 0;
    this.#ino = ino;
  }
}

const NEWLINE = Buffer.from("\n");

/** Write one page-index entry into `buffer` at `at`. */
export function writeEntry(buffer: Buffer, at: number, eventIndex: number, offset: number, length: number): void {
  buffer.writeDoubleLE(eventIndex, at);
  buffer.writeDoubleLE(offset, at + 8);
  buffer.writeUInt32LE(length, at + 16);
  buffer.writeUInt32LE(0, at + 20);
}
