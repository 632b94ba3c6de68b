import { assertCurrentToken, decideAcquire, decideRelease, decideRenew } from "../lease-rules.js";
import type { LeaseAcquireResult, SessionLease } from "../leases.js";

/**
 * The in-memory driver's leases: one row per session id, in a Map, judged by the process
 * clock. Rows outlive `deleteSession` and session eviction, so a token never goes back
 * (a row is a few dozen bytes; they are dropped only when the driver closes).
 */
export class MemoryLeases {
  readonly #rows = new Map<string, SessionLease>();

  acquire(sessionId: string, holder: string, ttlMs: number): LeaseAcquireResult {
    const { result, write } = decideAcquire(this.#rows.get(sessionId), sessionId, holder, ttlMs, Date.now());
    if (write !== undefined) this.#rows.set(sessionId, write);
    return result;
  }

  renew(lease: SessionLease, ttlMs: number): SessionLease {
    const row = decideRenew(this.#rows.get(lease.sessionId), lease, ttlMs, Date.now());
    this.#rows.set(lease.sessionId, row);
    return { ...row };
  }

  release(lease: SessionLease): void {
    const row = decideRelease(this.#rows.get(lease.sessionId), lease);
    if (row !== undefined) this.#rows.set(lease.sessionId, row);
  }

  read(sessionId: string): SessionLease | undefined {
    const row = this.#rows.get(sessionId);
    return row && { ...row };
  }

  /** @throws LeaseLostError unless `lease.token` is the session's current token. */
  assertCurrent(lease: SessionLease): void {
    assertCurrentToken(this.#rows.get(lease.sessionId), lease);
  }

  clear(): void {
    this.#rows.clear();
  }
}
