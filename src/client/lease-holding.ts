import type { SessionLease, SessionLeaseCapabilities } from "../persist/leases.js";
import type { SessionPersistDriver } from "../persist/types.js";
import { AbortedError } from "../transport/errors.js";
import { isStoreLeaseLost, SessionLeasedError } from "./lease-errors.js";
import type { LeasePolicy } from "./lease-options.js";
import { onPageGone } from "./page-gone.js";
import { holdSessionLock, sessionLockFreed } from "./web-locks.js";

// The work of a lease once a handle asks for one: taking it (at once or waiting, woken early
// by Web Locks in browsers), renewing it on a timer, giving it up. Its LeaseKeeper loads this
// module when it first takes a lease, so a client that never leases never loads it.

const FIRST_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 500;

/** What a holding needs from its keeper. */
export interface LeaseHoldingHooks {
  /** Whether the keeper still holds the lease (renewals stop once it does not). */
  isHeld(): boolean;
  /** The store refused a renewal, or renewing failed past the lease's expiry. */
  lost(cause: unknown): void;
}

/** One handle's lease while sought or held: the acquire loop, the renewal timer, the release. */
export class LeaseHolding {
  /** The lease as last taken or renewed. */
  lease: SessionLease | undefined;
  private ttlMs = 0;
  /** Process clock of the last acquire or renewal that succeeded (staleness is judged by it, not by the store's clock). */
  private renewedAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renewing: Promise<void> | undefined;
  private releaseLock: (() => void) | undefined;
  private stopWatchingPage: (() => void) | undefined;

  constructor(
    private readonly driver: SessionPersistDriver & SessionLeaseCapabilities,
    private readonly sessionId: string,
    private readonly holder: string,
    private readonly hooks: LeaseHoldingHooks,
  ) {}

  /**
   * Take the lease per `policy`, waiting up to `policy.waitMs` (polling with backoff), and
   * start renewing it. Rejects with `SessionLeasedError` or `AbortedError`.
   */
  async take(policy: LeasePolicy): Promise<void> {
    const started = Date.now();
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      if (policy.signal?.aborted) throw new AbortedError(`Waiting for the lease on session "${this.sessionId}" was aborted`, { cause: policy.signal.reason });
      const result = await this.driver.acquireLease(this.sessionId, this.holder, policy.ttlMs);
      if (result.acquired) {
        this.hold(result.lease, policy.ttlMs);
        return;
      }
      const waited = Date.now() - started;
      const left = policy.waitMs - waited;
      if (left <= 0) throw new SessionLeasedError(result.heldBy, waited);
      // Poll with jittered backoff, but wake right when the holder's lease would expire: a
      // dead holder's session is taken over within a poll of its expiry.
      const untilExpiry = Math.max(5, result.heldBy.expiresAt - Date.now() + 5);
      await this.pause(Math.min(backoff * (0.5 + Math.random() / 2), untilExpiry, left), policy.signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /** Renew at once when the last renewal is older than two thirds of the TTL (a paused process, a blocked event loop). */
  async renewIfStale(): Promise<void> {
    if (Date.now() - this.renewedAt > (this.ttlMs * 2) / 3) await this.renew();
  }

  /** Give `lease` up (after a renewal in flight). Never rejects. */
  async release(lease: SessionLease): Promise<void> {
    await this.renewing?.catch(() => undefined);
    await this.driver.releaseLease(lease).catch(() => undefined);
  }

  /** Stop renewing and let the Web Lock go. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.releaseLock?.();
    this.releaseLock = undefined;
    this.stopWatchingPage?.();
    this.stopWatchingPage = undefined;
  }

  private hold(lease: SessionLease, ttlMs: number): void {
    this.lease = lease;
    this.ttlMs = ttlMs;
    this.renewedAt = Date.now();
    this.releaseLock ??= holdSessionLock(this.sessionId);
    this.stopWatchingPage ??= onPageGone(() => {
      // Best effort (the page may be gone before the store commits): a tab waiting for the
      // session then takes it at once instead of at the lease's expiry.
      if (this.lease !== undefined && this.hooks.isHeld()) void this.driver.releaseLease(this.lease).catch(() => undefined);
    });
    this.schedule(ttlMs / 3);
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renew(), delayMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Renew now (one renewal at a time). A refusal by the store is a loss; another failure is retried until the lease would have expired. */
  private renew(): Promise<void> {
    this.renewing ??= (async () => {
      const lease = this.lease;
      if (!this.hooks.isHeld() || !lease) return;
      const startedAt = Date.now();
      try {
        const renewed = await this.driver.renewLease(lease, this.ttlMs);
        if (!this.hooks.isHeld()) return;
        this.lease = renewed;
        this.renewedAt = startedAt;
        this.schedule(this.ttlMs / 3);
      } catch (error) {
        if (!this.hooks.isHeld()) return;
        if (isStoreLeaseLost(error) || Date.now() - this.renewedAt >= this.ttlMs) this.hooks.lost(error);
        else this.schedule(Math.max(10, this.ttlMs / 10));
      }
    })().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  /** Wait `ms`, or less when a Web Lock holder lets the session go; rejects on abort. */
  private async pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms)), sessionLockFreed(this.sessionId, stop.signal)]);
    } finally {
      stop.abort();
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
