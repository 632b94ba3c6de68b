import { LeaseLostError, type LeaseAcquireResult, type SessionLease } from "./leases.js";

// The lease rules as pure functions of the stored row and a clock reading, for backends that
// keep the lease as a row they read and write inside one transaction (memory, SQLite, files,
// IndexedDB). Backends with a store clock and conditional writes (PostgreSQL, Redis) state the
// same rules in their own statements; the conformance suite holds them all to the same results.

/** What an acquire decided: the result, and the row to store when it changed. */
export interface LeaseDecision {
  /** What `acquireLease` resolves. */
  result: LeaseAcquireResult;
  /** The row to store, when the lease was acquired or renewed. */
  write: SessionLease | undefined;
}

/** Whether `lease` has expired at `now` (expiry is exclusive: expired when `expiresAt <= now`). */
export function leaseExpired(lease: SessionLease, now: number): boolean {
  return lease.expiresAt <= now;
}

/**
 * Acquire on the stored row `current` at `now`: free or expired, a new lease with the next
 * token; held by `holder` and live, renewed with the same token; held by another, refused.
 */
export function decideAcquire(
  current: SessionLease | undefined,
  sessionId: string,
  holder: string,
  ttlMs: number,
  now: number,
): LeaseDecision {
  if (current !== undefined && !leaseExpired(current, now) && current.holder !== holder) {
    return { result: { acquired: false, heldBy: { ...current } }, write: undefined };
  }
  const token = current === undefined ? 1 : leaseExpired(current, now) ? current.token + 1 : current.token;
  const lease: SessionLease = { sessionId, holder, token, expiresAt: now + ttlMs };
  return { result: { acquired: true, lease: { ...lease } }, write: lease };
}

/**
 * Renew `lease` on the stored row `current` at `now`: the row with a new expiry.
 * @throws LeaseLostError when `lease.token` is not the stored token.
 */
export function decideRenew(current: SessionLease | undefined, lease: SessionLease, ttlMs: number, now: number): SessionLease {
  assertCurrentToken(current, lease);
  return { sessionId: lease.sessionId, holder: current!.holder, token: lease.token, expiresAt: now + ttlMs };
}

/** The row after releasing `lease`: expired (`expiresAt` 0), holder and token kept; `undefined` when not current. */
export function decideRelease(current: SessionLease | undefined, lease: SessionLease): SessionLease | undefined {
  if (current === undefined || current.token !== lease.token) return undefined;
  return { ...current, expiresAt: 0 };
}

/**
 * The fence: throw {@link LeaseLostError} (carrying the stored row) unless `lease.token` is the
 * stored token. Expiry is not looked at: a write by the current token after expiry, before any
 * takeover, is accepted.
 */
export function assertCurrentToken(current: SessionLease | undefined, lease: SessionLease): void {
  if (current === undefined || current.token !== lease.token) throw new LeaseLostError(lease, current && { ...current });
}
