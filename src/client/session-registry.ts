import type { Session } from "./session.js";

/**
 * The client's session handles, one per id. A handle bound to a runtime connection is held
 * strongly (events are routed to it); a handle that was only looked up or listed is held
 * weakly, so paging through a large store does not pin every record in memory. A weakly
 * held handle becomes strong when it binds.
 */
export class SessionRegistry {
  private readonly bound = new Map<string, Session>();
  private readonly idle = new Map<string, WeakRef<Session>>();
  private sweepAt = 1024;

  /** The handle for `id`, bound or not, if one is alive. */
  get(id: string): Session | undefined {
    const bound = this.bound.get(id);
    if (bound) return bound;
    const ref = this.idle.get(id);
    const session = ref?.deref();
    if (ref && !session) this.idle.delete(id);
    return session;
  }

  /** The bound handle for `id`: where its envelopes are recorded. */
  getBound(id: string): Session | undefined {
    return this.bound.get(id);
  }

  /** Register a handle that is not bound yet. */
  addIdle(session: Session): void {
    this.idle.set(session.id, new WeakRef(session));
    if (this.idle.size >= this.sweepAt) {
      for (const [id, ref] of this.idle) if (!ref.deref()) this.idle.delete(id);
      this.sweepAt = Math.max(1024, this.idle.size * 2);
    }
  }

  /** Hold a handle strongly: it is bound (or binding) to a connection. */
  markBound(session: Session): void {
    this.idle.delete(session.id);
    this.bound.set(session.id, session);
  }

  /** Forget the handle for `id`. */
  delete(id: string): void {
    this.bound.delete(id);
    this.idle.delete(id);
  }

  /** Every bound handle. */
  boundSessions(): IterableIterator<Session> {
    return this.bound.values();
  }
}
