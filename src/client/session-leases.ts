import type { DurableAgentError } from "../errors.js";
import type { SessionPersistDriver } from "../persist/types.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { resolveCallLease, type CallLeaseOption, type ResolvedLeaseOptions } from "./lease-options.js";

/**
 * A client's leases: a keeper per session handle (made with the handle, idle until a call
 * leases it), the client's default policy, and every lease it holds, released at `dispose`.
 */
export class SessionLeases {
  private readonly held = new Set<LeaseKeeper>();

  constructor(
    private readonly driver: SessionPersistDriver,
    /** The client's default (`connect({ lease })`). */
    readonly defaults: ResolvedLeaseOptions,
  ) {}

  /** This client's holder id. */
  get holder(): string {
    return this.defaults.holder;
  }

  /** A keeper for a new handle of `sessionId` (idle); `report` is told when its lease is lost. */
  keeper(sessionId: string, report: (error: DurableAgentError) => void): LeaseKeeper {
    const keeper: LeaseKeeper = new LeaseKeeper({
      driver: this.driver,
      sessionId,
      holder: this.defaults.holder,
      onLost: (error) => {
        this.held.delete(keeper);
        report(error);
      },
    });
    return keeper;
  }

  /**
   * Lease the handle per the call's option over the client's default; whether it was newly
   * taken (then what the handle knows of the session must be read again: the previous
   * holder may have written since).
   */
  async acquire(keeper: LeaseKeeper, option: CallLeaseOption | undefined): Promise<boolean> {
    const before = keeper.state;
    await keeper.acquire(resolveCallLease(option, this.defaults));
    if (keeper.state !== "held") return false;
    this.held.add(keeper);
    return before !== "held";
  }

  /**
   * Before an operation of a handle: lease it by the client's default when nobody decided
   * yet, renew when the renewal timer fell behind, fail when the lease was lost. Whether it
   * was newly taken.
   */
  async check(keeper: LeaseKeeper): Promise<boolean> {
    if (keeper.state === "unleased" && this.defaults.on && !keeper.declined) return this.acquire(keeper, undefined);
    await keeper.check();
    return false;
  }

  /** Release one handle's lease. Never rejects. */
  async release(keeper: LeaseKeeper): Promise<void> {
    this.held.delete(keeper);
    await keeper.release();
  }

  /** Release every lease this client holds. Never rejects. */
  async releaseAll(): Promise<void> {
    const keepers = [...this.held];
    this.held.clear();
    await Promise.all(keepers.map((keeper) => keeper.release()));
  }
}
