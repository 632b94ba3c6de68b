import { PersistError } from "./errors.js";
import type { SessionEvent, SessionRecord } from "./types.js";

// Session leases with fencing, the store side: one client drives a session at a time. A
// lease names its holder and carries a fencing token that only ever grows per session; a
// fenced write is refused when its token is no longer the session's current one (another
// client took the session over), so a paused process that wakes up cannot corrupt history.
// Fencing is by token, not by clock: a write by the current token after expiry but before
// any takeover is accepted. See docs/leases.md.

/** The lease on one session. */
export interface SessionLease {
  /** The session leased. */
  sessionId: string;
  /** Who holds it: an id the client picks (a process, a tab), at most 256 characters. */
  holder: string;
  /**
   * The fencing token: 1 for the first lease ever taken on the session, one more at every
   * takeover; never goes back, also after a release or a `deleteSession`.
   */
  token: number;
  /** When the lease expires, epoch milliseconds, by the store's clock where it has one (see docs/leases.md). */
  expiresAt: number;
}

/** What {@link SessionLeaseCapabilities.acquireLease} got: the lease, or who holds it. */
export type LeaseAcquireResult =
  | { acquired: true; lease: SessionLease }
  | { acquired: false; heldBy: SessionLease };

/**
 * The lease capability of a driver (optional, like every capability: detect it with
 * `hasLeases(driver)`). Expiry is judged by the store's clock where it has one (PostgreSQL,
 * Redis) and by the process clock otherwise (SQLite, memory, files, IndexedDB).
 */
export interface SessionLeaseCapabilities {
  /**
   * Take the lease on `sessionId` for `ttlMs` milliseconds. When it is free or expired: acquired,
   * with the previous token + 1 (1 for the first lease ever). When `holder` holds it and it has
   * not expired: renewed, same token. When another holder holds it: `{ acquired: false, heldBy }`.
   * Of any number of callers racing on a free lease, exactly one acquires it.
   * @throws PersistValidationError when `holder` is empty, longer than 256 characters or not
   * well-formed, or `ttlMs` is not a positive integer of at most 24 hours (nothing changes).
   */
  acquireLease(sessionId: string, holder: string, ttlMs: number): Promise<LeaseAcquireResult>;
  /**
   * Extend `lease` to `ttlMs` from now; resolves the renewed lease (same token). Works after
   * expiry as long as nobody took the session over.
   * @throws LeaseLostError when `lease.token` is no longer the session's current token.
   */
  renewLease(lease: SessionLease, ttlMs: number): Promise<SessionLease>;
  /**
   * Give the lease up: it expires now, so the next acquirer takes it at once (with the next
   * token; the token row is kept). A no-op when `lease.token` is no longer current.
   */
  releaseLease(lease: SessionLease): Promise<void>;
  /** The session's lease row as stored, expired or not; `undefined` when none was ever taken. */
  getLease(sessionId: string): Promise<SessionLease | undefined>;
  /**
   * `insertEvents(lease.sessionId, events)` (same validation, idempotency and conflict rules,
   * all or nothing), atomically refused when `lease.token` is not the session's current token.
   * @throws LeaseLostError when refused; nothing is written.
   */
  insertEventsFenced(lease: SessionLease, events: readonly SessionEvent[]): Promise<void>;
  /**
   * `updateSession(session)`, atomically refused when `lease.token` is not the session's
   * current token. `session.id` must be `lease.sessionId`.
   * @throws LeaseLostError when refused; nothing is written.
   */
  updateSessionFenced(lease: SessionLease, session: SessionRecord): Promise<void>;
}

/**
 * A lease is no longer the session's current one: another holder took the session over
 * (after the lease expired). Thrown by fenced writes and `renewLease`; nothing was written.
 */
export class LeaseLostError extends PersistError {
  /** The session. */
  readonly sessionId: string;
  /** The holder of the lost lease. */
  readonly holder: string;
  /** The lost lease's token. */
  readonly token: number;
  /** The session's lease as stored when the write was refused, when the store said. */
  readonly current: SessionLease | undefined;

  constructor(lease: SessionLease, current: SessionLease | undefined, options?: { cause?: unknown }) {
    const now =
      current === undefined
        ? "no lease is stored"
        : `it is now held by "${current.holder}" with token ${current.token}`;
    super(
      "persist.lease_lost",
      `Lease on session "${lease.sessionId}" lost by "${lease.holder}" (token ${lease.token}): ${now}; nothing was written`,
      options,
    );
    this.sessionId = lease.sessionId;
    this.holder = lease.holder;
    this.token = lease.token;
    this.current = current;
  }
}

/** The longest lease holder id. */
export const MAX_LEASE_HOLDER_LENGTH = 256;
/** The longest lease a single acquire or renew grants: 24 hours. */
export const MAX_LEASE_TTL_MS = 24 * 60 * 60 * 1000;
