import { linkSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { currentBoot, isAlive, processStart } from "./boot.js";
import { FileStoreBusyError } from "./errors.js";

// The store's write lock, between processes (and between drivers of one process): a hard
// link. Each driver writes a token file once (`<lock>.<random>`, holding its pid, process
// start time and boot); taking the lock is `link(token, lock)`, which the file system does
// atomically and refuses when the lock exists, so the lock never exists without its owner's
// details. Releasing is `unlink(lock)`. A lock whose owner is dead (its pid gone or recycled,
// or the machine rebooted since) is broken, under a second lock (`<lock>.break`, created with
// O_EXCL) so that
// two waiters cannot break a lock taken again in between. Local file systems only: a pid
// means nothing on another machine (see docs/drivers/file.md).

/** How long a `.break` link may be held before it is considered abandoned, in ms. */
const BREAK_STALE_MS = 10_000;

/** The owner recorded in a lock file. */
interface Owner {
  pid: number;
  start: number;
  boot: string;
}

function readOwner(path: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, "utf8")) as Partial<Owner>;
    if (typeof owner.pid === "number" && typeof owner.start === "number" && typeof owner.boot === "string") return owner as Owner;
  } catch {
    // gone, or not ours
  }
  return undefined;
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** The write lock of one store, as one driver takes it. */
export class DirectoryLock {
  readonly #path: string;
  readonly #token: string;
  readonly #directory: string;
  readonly #timeoutMs: number;
  #tokenWritten = false;

  /**
   * @param path the lock file.
   * @param directory the store's directory (for errors).
   * @param timeoutMs how long {@link DirectoryLock.acquire} waits for a live holder.
   */
  constructor(path: string, directory: string, timeoutMs: number) {
    this.#path = path;
    this.#directory = directory;
    this.#timeoutMs = timeoutMs;
    this.#token = `${path}.${randomBytes(8).toString("hex")}`;
  }

  /** Take the lock without waiting: `true` when taken, `false` when a live owner holds it. */
  tryAcquire(): boolean {
    if (!this.#tokenWritten) {
      const owner: Owner = { pid: process.pid, start: processStart(process.pid), boot: currentBoot() };
      writeFileSync(this.#token, JSON.stringify(owner));
      this.#tokenWritten = true;
    }
    for (;;) {
      try {
        linkSync(this.#token, this.#path);
        return true;
      } catch (error) {
        if (errno(error) !== "EEXIST") throw error;
      }
      const owner = readOwner(this.#path);
      if (owner === undefined || isAlive(owner.pid, owner.start, owner.boot)) return false;
      this.#breakStale(owner);
    }
  }

  /**
   * Take the lock, waiting (polling, up to 5 ms apart) while a live process holds it.
   * @throws FileStoreBusyError when it is still held after the timeout.
   */
  async acquire(): Promise<void> {
    if (this.tryAcquire()) return;
    const started = Date.now();
    for (let delay = 0.2; ; delay = Math.min(delay * 2, 5)) {
      await sleep(delay);
      if (this.tryAcquire()) return;
      if (Date.now() - started > this.#timeoutMs) {
        throw new FileStoreBusyError(this.#directory, readOwner(this.#path)?.pid, Date.now() - started);
      }
    }
  }

  /** Release the lock. */
  release(): void {
    unlinkSync(this.#path);
  }

  /** Remove this driver's token file (on close). */
  dispose(): void {
    if (!this.#tokenWritten) return;
    try {
      unlinkSync(this.#token);
    } catch {
      // already gone
    }
  }

  /** Remove the token files that drivers of dead processes left beside the lock (a SIGKILL skips `close()`). */
  sweepTokens(): void {
    const dir = dirname(this.#path);
    const prefix = `${basename(this.#path)}.`;
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(prefix) || name === `${prefix}break`) continue;
      const owner = readOwner(join(dir, name));
      if (owner !== undefined && !isAlive(owner.pid, owner.start, owner.boot)) {
        try {
          unlinkSync(join(dir, name));
        } catch {
          // removed by another sweeper
        }
      }
    }
  }

  /** Remove a lock whose owner is dead, unless someone took it again meanwhile. */
  #breakStale(dead: Owner): void {
    const breaker = `${this.#path}.break`;
    try {
      writeFileSync(breaker, String(process.pid), { flag: "wx" });
    } catch (error) {
      if (errno(error) !== "EEXIST") throw error;
      try {
        if (Date.now() - statSync(breaker).mtimeMs > BREAK_STALE_MS) unlinkSync(breaker);
      } catch {
        // released meanwhile
      }
      return; // another waiter is breaking it: try again
    }
    try {
      const owner = readOwner(this.#path);
      // Still the dead owner's lock (only breakers remove locks they do not own, one at a time).
      if (owner !== undefined && owner.pid === dead.pid && owner.start === dead.start && owner.boot === dead.boot) {
        unlinkSync(this.#path);
      }
    } finally {
      unlinkSync(breaker);
    }
  }
}

/**
 * Run `run` (synchronous) holding `lock`. When the lock is free it is taken, used and
 * released in one synchronous step, so calls of one process never wait on each other (they
 * cannot interleave); only another holder (another process, another driver) makes it wait.
 */
export async function withLock<T>(lock: DirectoryLock, run: () => T): Promise<T> {
  if (!lock.tryAcquire()) await lock.acquire();
  try {
    return run();
  } finally {
    lock.release();
  }
}
