import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { assertCurrentToken, decideAcquire, decideRelease, decideRenew } from "../../src/persist/lease-rules.js";
import type { LeaseAcquireResult, SessionLease } from "../../src/persist/leases.js";
import { errno, syncDirectory, writeFileAtomic, type FsyncPolicy } from "./io.js";
import { sessionName } from "./names.js";

/** What a lease file holds (the session id is its name). */
interface LeaseFile {
  holder: string;
  token: number;
  expiresAt: number;
}

/**
 * The file store's leases: `<directory>/leases/<session name>.json`, one small JSON file per
 * session ever leased, outside the session's directory so that `deleteSession` leaves it (tokens
 * never go back). Every method but {@link FileLeases.read} must run under the store's write lock
 * (lock.ts): the lock serialises every process on the directory, so the read, the decision and
 * the write (temp file + rename, synced) are one step. Expiry is judged by the process clock.
 */
export class FileLeases {
  readonly #dir: string;
  readonly #fsync: FsyncPolicy;
  #dirMade = false;

  /** @param root the store's directory. */
  constructor(root: string, fsync: FsyncPolicy) {
    this.#dir = join(root, "leases");
    this.#fsync = fsync;
  }

  /** Under the lock. */
  acquire(sessionId: string, holder: string, ttlMs: number): LeaseAcquireResult {
    const { result, write } = decideAcquire(this.read(sessionId), sessionId, holder, ttlMs, Date.now());
    if (write !== undefined) this.#store(write);
    return result;
  }

  /** Under the lock. @throws LeaseLostError when the token is not current. */
  renew(lease: SessionLease, ttlMs: number): SessionLease {
    const row = decideRenew(this.read(lease.sessionId), lease, ttlMs, Date.now());
    this.#store(row);
    return row;
  }

  /** Under the lock. */
  release(lease: SessionLease): void {
    const row = decideRelease(this.read(lease.sessionId), lease);
    if (row !== undefined) this.#store(row);
  }

  /** The lease file, parsed; a lock-free read (files are replaced by rename, never seen half-written). */
  read(sessionId: string): SessionLease | undefined {
    let text: string;
    try {
      text = readFileSync(this.#path(sessionId), "utf8");
    } catch (error) {
      if (errno(error) === "ENOENT") return undefined;
      throw error;
    }
    const { holder, token, expiresAt } = JSON.parse(text) as LeaseFile;
    return { sessionId, holder, token, expiresAt };
  }

  /** Under the lock. @throws LeaseLostError unless `lease.token` is the session's current token. */
  assertCurrent(lease: SessionLease): void {
    assertCurrentToken(this.read(lease.sessionId), lease);
  }

  #store(lease: SessionLease): void {
    if (!this.#dirMade) {
      mkdirSync(this.#dir, { recursive: true });
      syncDirectory(join(this.#dir, ".."), this.#fsync);
      this.#dirMade = true;
    }
    const file: LeaseFile = { holder: lease.holder, token: lease.token, expiresAt: lease.expiresAt };
    writeFileAtomic(this.#path(lease.sessionId), JSON.stringify(file), this.#fsync);
  }

  #path(sessionId: string): string {
    return join(this.#dir, `${sessionName(sessionId)}.json`);
  }
}
