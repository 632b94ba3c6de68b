import { listLatestEventsVia } from "../persist/capabilities.js";
import { encodeEventCursor } from "../persist/cursor.js";
import type { SessionLease, SessionLeaseCapabilities } from "../persist/leases.js";
import { PersistDriver } from "../persist/persist-driver.js";
import type { SessionEvent, SessionPersistDriver } from "../persist/types.js";
import { MAX_PAGE_LIMIT } from "../persist/types.js";
import type { FollowSessionOptions } from "./follow-options.js";
import type { SessionLeaseOptions } from "./lease-options.js";
import type { Session } from "./session.js";

export { checkFollowOptions, type FollowSessionOptions } from "./follow-options.js";

// A read-only follower: a session's stored events, live, for a client that watches a
// session another client drives. It reads the store only (never the runtime), never writes
// and never takes the lease. Where the driver has a live feed of its own (the PostgreSQL
// driver's `followSession`, LISTEN/NOTIFY) new events arrive as they are committed and a slow
// poll is the safety net; elsewhere it polls.

/** A running follower of one session. */
export interface SessionFollower {
  /** The session followed. */
  readonly sessionId: string;
  /** The `eventIndex` of the last event delivered (-1 before the first). */
  readonly lastIndex: number;
  /** Who drives the session now: its lease as stored (expired or not), when the driver has leases. */
  lease(): Promise<SessionLease | undefined>;
  /**
   * Drive the session from here on: take its lease (waiting up to `lease.waitMs`, default
   * the client's) and resume it, as `resumeSession(id, { lease })` does. The follower stays open
   * (it goes on delivering what is stored, now by this client too); close it when done.
   */
  takeOver(lease?: SessionLeaseOptions): Promise<Session>;
  /** Read the store now and resolve once every event stored so far has been delivered. */
  catchUp(): Promise<void>;
  /** Stop following; resolves once no more events will be delivered. */
  close(): Promise<void>;
}

/** A driver's own live feed, as the PostgreSQL driver has it. */
interface LiveFeed {
  followSession(
    sessionId: string,
    onEvents: (events: SessionEvent[]) => void | Promise<void>,
    options?: { afterIndex?: number; onError?: (error: unknown) => void },
  ): Promise<{ close(): Promise<void> }>;
}

const DEFAULT_POLL_MS = 250;

/** How a follower's client takes the session over (`resumeSession` with a lease). */
export type TakeOver = (lease: SessionLeaseOptions) => Promise<Session>;

/** Start following `sessionId` in `driver` (options checked by the caller). */
export async function followStoredSession(
  driver: SessionPersistDriver,
  sessionId: string,
  options: FollowSessionOptions,
  takeOver: TakeOver = () => Promise.reject(new Error("this follower cannot take the session over")),
): Promise<SessionFollower> {
  const follower = new StoreFollower(driver, sessionId, options, takeOver);
  await follower.start();
  return follower;
}

class StoreFollower implements SessionFollower {
  lastIndex: number;
  private closed = false;
  private reading: Promise<void> | undefined;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private feed: { close(): Promise<void> } | undefined;
  /** Deliveries in order, one at a time. */
  private delivering: Promise<void> = Promise.resolve();
  private readonly pollMs: number;

  constructor(
    private readonly driver: SessionPersistDriver,
    readonly sessionId: string,
    private readonly options: FollowSessionOptions,
    private readonly resume: TakeOver,
  ) {
    this.lastIndex = options.afterIndex ?? -1;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  async start(): Promise<void> {
    const live = this.driver as SessionPersistDriver & Partial<LiveFeed>;
    let pollMs = this.pollMs;
    if (typeof live.followSession === "function") {
      this.feed = await live.followSession(this.sessionId, (events) => this.deliver(events), {
        afterIndex: this.lastIndex,
        onError: (error) => this.report(error),
      });
      pollMs *= 4;
    }
    const tick = () => {
      if (this.closed) return;
      this.timer = setTimeout(() => {
        void this.read().finally(tick);
      }, pollMs);
      (this.timer as { unref?: () => void }).unref?.();
    };
    await this.read();
    tick();
  }

  async lease(): Promise<SessionLease | undefined> {
    const d = this.driver as SessionPersistDriver & Partial<SessionLeaseCapabilities>;
    return typeof d.getLease === "function" ? d.getLease(this.sessionId) : undefined;
  }

  takeOver(lease: SessionLeaseOptions = {}): Promise<Session> {
    return this.resume(lease);
  }

  async catchUp(): Promise<void> {
    await this.read();
    await this.delivering;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.feed?.close().catch((error: unknown) => this.report(error));
    await this.reading?.catch(() => undefined);
    await this.delivering;
  }

  /** Read what follows the last delivered event; one read at a time, a request during one runs another after it. */
  private read(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        try {
          await this.readOnce();
        } catch (error) {
          this.report(error);
        }
      } while (this.again && !this.closed);
    })().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    if (this.driver instanceof PersistDriver) {
      // A driver on the kit: keyset pages right after the last delivered event.
      let cursor: string | undefined = encodeEventCursor({ sessionId: this.sessionId, afterIndex: this.lastIndex });
      while (cursor !== undefined && !this.closed) {
        const page = await this.driver.listEvents({ sessionId: this.sessionId, cursor, limit: MAX_PAGE_LIMIT });
        await this.deliver(page.items);
        cursor = page.nextCursor;
      }
      return;
    }
    // Any other driver: the session's tail, widened until it reaches back to the last delivered event.
    for (let limit = 100; ; limit *= 10) {
      const tail = await listLatestEventsVia(this.driver, this.sessionId, Math.min(limit, 1_000_000));
      const first = tail[0];
      if (!first || first.eventIndex <= this.lastIndex + 1 || tail.length < limit || limit >= 1_000_000) {
        await this.deliver(tail);
        return;
      }
    }
  }

  /** Hand on the events that follow the last delivered one, in order; a gap asks for a read. */
  private deliver(events: readonly SessionEvent[]): Promise<void> {
    this.delivering = this.delivering.then(async () => {
      for (const event of events) {
        if (this.closed) return;
        if (event.eventIndex <= this.lastIndex) continue;
        if (event.eventIndex > this.lastIndex + 1) {
          void this.read();
          return;
        }
        this.lastIndex = event.eventIndex;
        try {
          await this.options.onEvent(event);
        } catch (error) {
          this.report(error);
        }
      }
    });
    return this.delivering;
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // The listener's failure is its own.
    }
  }
}
