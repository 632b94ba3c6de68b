import type { DurableAgentError } from "../errors.js";
import type { SessionWritePort } from "../history/write-port.js";
import { driverWritePort } from "../history/write-port.js";
import { UnsupportedCapabilityError } from "../persist/errors.js";
import type { SessionLease, SessionLeaseCapabilities } from "../persist/leases.js";
import type { SessionEvent, SessionPersistDriver, SessionRecord } from "../persist/types.js";
import { isStoreLeaseLost, SessionLeaseLostError } from "./lease-errors.js";
import type { LeaseHolding } from "./lease-holding.js";
import type { LeasePolicy } from "./lease-options.js";

// One session handle's lease: taking it (at once or waiting), renewing it while the client
// lives, noticing its loss, giving it up, and the write port that fences every write of the
// session with its token. A handle whose client does not lease writes straight to the driver.
// Taking, renewing and giving up a lease (./lease-holding.ts) load with the first lease taken.

/** Where a keeper stands. */
export type LeaseState = "unleased" | "held" | "lost" | "released";

/** A driver with the lease capability, detected like every capability. */
function leasing(driver: SessionPersistDriver): (SessionPersistDriver & SessionLeaseCapabilities) | undefined {
  const d = driver as SessionPersistDriver & Partial<SessionLeaseCapabilities>;
  return typeof d.acquireLease === "function" ? (d as SessionPersistDriver & SessionLeaseCapabilities) : undefined;
}

/** Whether the driver has session leases. */
export function driverHasLeases(driver: SessionPersistDriver): boolean {
  return leasing(driver) !== undefined;
}

/** What a keeper needs from its client. */
export interface LeaseKeeperOptions {
  driver: SessionPersistDriver;
  sessionId: string;
  holder: string;
  /** Called once when the lease is lost (the keeper has already stopped writing). */
  onLost: (error: SessionLeaseLostError) => void;
}

/**
 * The lease of one session handle. {@link LeaseKeeper.acquire} takes it; a timer renews it
 * every `ttlMs / 3` (unref'd in Node, so it never keeps a process alive);
 * {@link LeaseKeeper.check}, before each operation of the session, renews at once when the
 * timer fell behind (the process was paused) and fails when the lease is lost.
 */
export class LeaseKeeper {
  readonly sessionId: string;
  readonly holder: string;
  private readonly driver: SessionPersistDriver;
  private readonly onLost: (error: SessionLeaseLostError) => void;
  private stateNow: LeaseState = "unleased";
  private declinedNow = false;
  private lossNow: SessionLeaseLostError | undefined;
  /** Taking and renewing the lease, loaded with the first lease this handle takes. */
  private holding: LeaseHolding | undefined;

  constructor(options: LeaseKeeperOptions) {
    this.driver = options.driver;
    this.sessionId = options.sessionId;
    this.holder = options.holder;
    this.onLost = options.onLost;
  }

  /** Where the keeper stands. */
  get state(): LeaseState {
    return this.stateNow;
  }

  /** The lease held, if any. */
  get lease(): SessionLease | undefined {
    return this.stateNow === "held" ? this.holding?.lease : undefined;
  }

  /** Whether a call asked for this handle to go unleased (`lease: false`) while it is unleased. */
  get declined(): boolean {
    return this.declinedNow && this.stateNow === "unleased";
  }

  /** Why the lease was lost, once it was. */
  get loss(): SessionLeaseLostError | undefined {
    return this.lossNow;
  }

  /**
   * Take the lease per `policy`: at once, or waiting up to `policy.waitMs` (polling with
   * backoff; in browsers also woken by Web Locks). A no-op when held already or when the
   * policy is off. Rejects with `SessionLeasedError` (another holder kept it),
   * `UnsupportedCapabilityError` (leasing asked for on a driver without it), `AbortedError`,
   * or the loss when this handle's lease was lost.
   */
  async acquire(policy: LeasePolicy): Promise<void> {
    if (this.stateNow === "lost") throw this.lossNow!;
    if (this.stateNow === "held") return;
    if (!policy.on) {
      if (this.stateNow === "released") throw this.fenceError();
      this.declinedNow = true;
      return;
    }
    const driver = leasing(this.driver);
    if (!driver) {
      if (policy.explicit) throw new UnsupportedCapabilityError("acquireLease");
      return;
    }
    if (!this.holding) {
      const { LeaseHolding } = await import("./lease-holding.js");
      this.holding ??= new LeaseHolding(driver, this.sessionId, this.holder, {
        isHeld: () => this.stateNow === "held",
        lost: (cause) => this.markLost(cause),
      });
      // Another call may have taken it (or lost it) while the module loaded.
      if ((this.stateNow as LeaseState) === "lost") throw this.lossNow!;
      if ((this.stateNow as LeaseState) === "held") return;
    }
    await this.holding.take(policy);
    this.stateNow = "held";
  }

  /**
   * Before an operation of the session: throws the loss when the lease was lost (and
   * `SessionLeaseLostError` when it was released: resume the session for a new handle); renews at
   * once when the last renewal is older than two thirds of the TTL (a paused process, a
   * blocked event loop), so a holder that was taken over learns it before it acts.
   */
  async check(): Promise<void> {
    if (this.stateNow === "lost") throw this.lossNow!;
    if (this.stateNow === "released") throw this.fenceError();
    if (this.stateNow !== "held") return;
    await this.holding!.renewIfStale();
    if ((this.stateNow as LeaseState) === "lost") throw this.lossNow!;
  }

  /** Give the lease up (it expires now, so a waiting client takes it at once); stops renewing. Never rejects. */
  async release(): Promise<void> {
    const lease = this.lease;
    this.stop();
    if (this.stateNow === "held") this.stateNow = "released";
    if (!lease) return;
    await this.holding!.release(lease);
  }

  /** Mark the lease lost (once); returns the typed loss. */
  markLost(cause: unknown): SessionLeaseLostError {
    if (this.lossNow) return this.lossNow;
    this.lossNow = cause instanceof SessionLeaseLostError ? cause : new SessionLeaseLostError(this.sessionId, this.holder, cause);
    this.stateNow = "lost";
    this.stop();
    try {
      this.onLost(this.lossNow);
    } catch {
      // The listener's failure is its own.
    }
    return this.lossNow;
  }

  /**
   * The port the session's writes go through: fenced by the lease's token while leased,
   * refused once the lease is lost or released, the driver's own methods while unleased.
   */
  writePort(): SessionWritePort {
    const direct = driverWritePort(this.driver);
    return {
      insertEvents: async (sessionId: string, events: readonly SessionEvent[]) => {
        if (this.stateNow === "unleased") return direct.insertEvents(sessionId, events);
        return this.fenced(() => leasing(this.driver)!.insertEventsFenced(this.fence(), events));
      },
      updateSession: async (record: SessionRecord) => {
        if (this.stateNow === "unleased") return direct.updateSession(record);
        return this.fenced(() => leasing(this.driver)!.updateSessionFenced(this.fence(), record));
      },
      refusal: (error: unknown): DurableAgentError | undefined => {
        if (error instanceof SessionLeaseLostError) return error;
        if (isStoreLeaseLost(error)) return this.markLost(error);
        return undefined;
      },
    };
  }

  /** Run a fenced write; the store's refusal becomes this handle's loss. */
  private async fenced(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      throw isStoreLeaseLost(error) ? this.markLost(error) : error;
    }
  }

  /** The lease to fence a write with; throws the loss when there is none to write under. */
  private fence(): SessionLease {
    if (this.stateNow === "held") return this.holding!.lease!;
    if (this.stateNow === "lost") throw this.lossNow!;
    throw this.fenceError();
  }

  /** Why a released handle writes nothing. */
  private fenceError(): SessionLeaseLostError {
    return new SessionLeaseLostError(this.sessionId, this.holder, "the lease was released (the session was closed or its client disposed): resume the session for a new handle");
  }

  /** Stop renewing (and let the Web Lock go). */
  private stop(): void {
    this.holding?.stop();
  }
}
