import type { SessionPersistDriver } from "../persist/types.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { resolveCallLease, type CallLeaseOption, type ResolvedLeaseOptions } from "./lease-options.js";
import type { Session } from "./session.js";

/**
 * A client's leases: a keeper per session handle (made with the handle, idle until a call
 * leases it), the client's default policy, and every lease it holds, released at `dispose`.
 */
export class SessionLeases {
  private readonly held = new Set<LeaseKeeper>();
  /** Each session handle's keeper. */
  private readonly keepers = new WeakMap<Session, LeaseKeeper>();
  /** Each keeper's session handle, told when the lease is lost. */
  private readonly sessionOf = new WeakMap<LeaseKeeper, Session>();

  constructor(
    private readonly driver: SessionPersistDriver,
    /** The client's default (`connect({ lease })`). */
    readonly defaults: ResolvedLeaseOptions,
    /** Whether a handle is bound to the runtime (its events are then read already). */
    private readonly isBound: (session: Session) => boolean,
  ) {}

  /** This client's holder id. */
  get holder(): string {
    return this.defaults.holder;
  }

  /** A keeper for a new handle of `sessionId` (idle); once {@link SessionLeases.attach}ed, the handle is told when its lease is lost. */
  keeper(sessionId: string): LeaseKeeper {
    const keeper: LeaseKeeper = new LeaseKeeper({
      driver: this.driver,
      sessionId,
      holder: this.defaults.holder,
      onLost: (error) => {
        this.held.delete(keeper);
        this.sessionOf.get(keeper)?.reportError(error);
      },
    });
    return keeper;
  }

  /** Pair a new handle with its keeper. */
  attach(session: Session, keeper: LeaseKeeper): void {
    this.keepers.set(session, keeper);
    this.sessionOf.set(keeper, session);
  }

  /** The handle's keeper (every handle made by the client has one). */
  keeperOf(session: Session): LeaseKeeper | undefined {
    return this.keepers.get(session);
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

  /** Before each operation of a handle: its lease taken (by the client's default), renewed or checked. */
  async checkHandle(session: Session): Promise<void> {
    const keeper = this.keepers.get(session);
    if (keeper && (await this.check(keeper))) await this.readAfterLeasing(session);
  }

  /**
   * A lease was just taken for a handle not yet bound: the previous holder may have changed
   * the record since the handle read it, so read it again (its events are read at binding).
   */
  async readAfterLeasing(session: Session): Promise<void> {
    if (this.isBound(session)) return;
    const latest = await this.driver.getSession(session.id);
    if (latest) session.apply(latest);
  }

  /** Give a handle's lease up, if it holds one. Never rejects. */
  async releaseHandle(session: Session): Promise<void> {
    const keeper = this.keepers.get(session);
    if (keeper) await this.release(keeper);
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
