import type { Notification, Pool } from "pg";
import type { ListEventsRequest, ListPage, SessionEvent } from "../../src/persist/types.js";
import { encodeEventCursor } from "../../src/persist/cursor.js";
import { MAX_PAGE_LIMIT } from "../../src/persist/types.js";

// Live tail across processes. Writers built with `notify: true` signal a session's id on
// the table's channel when they commit new events; a follower LISTENs on its own
// connection and, on each signal for its session, reads what follows the last event it
// delivered, with the ordinary keyset listing. Signals carry no data, so a lost or merged
// one costs nothing: the next read catches up.

/** Options of `followSession`. */
export interface FollowSessionOptions {
  /** Deliver events after this `eventIndex`; default -1 (from the start of the session). */
  afterIndex?: number;
  /** Called with a failure (a read error, a lost connection); the follower stops after a lost connection. */
  onError?: (error: unknown) => void;
}

/** A running follower; `close()` stops it and releases its connection. */
export interface SessionFollower {
  /** Stop following. Resolves once no more events will be delivered. */
  close(): Promise<void>;
}

/** What the follower needs from the driver. */
export interface FollowContext {
  /** The pool the follower borrows its listening connection from. */
  pool: Pool;
  /** The table's notification channel (see `channelOf`). */
  channel: string;
  /** The driver's keyset listing, used to read what a signal announced. */
  listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>>;
}

/**
 * Follow `sessionId`: deliver its events in order, first those already stored after
 * `afterIndex`, then new ones as writers signal them. `onEvents` is never called
 * concurrently with itself.
 */
export async function followSession(
  context: FollowContext,
  sessionId: string,
  onEvents: (events: SessionEvent[]) => void | Promise<void>,
  options: FollowSessionOptions = {},
): Promise<SessionFollower> {
  const report = options.onError ?? (() => undefined);
  let last = options.afterIndex ?? -1;
  let closed = false;
  let pending = false;
  let pumping: Promise<void> | undefined;

  async function drain(): Promise<void> {
    while (pending && !closed) {
      pending = false;
      let cursor: string | undefined = encodeEventCursor({ sessionId, afterIndex: last });
      while (cursor !== undefined && !closed) {
        const page: ListPage<SessionEvent> = await context.listEvents({ sessionId, cursor, limit: MAX_PAGE_LIMIT });
        const lastItem = page.items[page.items.length - 1];
        if (lastItem === undefined) break;
        await onEvents(page.items);
        last = lastItem.eventIndex;
        cursor = page.nextCursor;
      }
    }
  }

  function pump(): void {
    pending = true;
    if (pumping !== undefined) return;
    pumping = drain()
      .catch((error: unknown) => {
        if (!closed) report(error);
      })
      .finally(() => {
        pumping = undefined;
        if (pending && !closed) pump();
      });
  }

  const client = await context.pool.connect();
  let released = false;
  // The connection carries a LISTEN: destroy it rather than hand it back to the pool. Its
  // "error" listener stays attached (a no-op once closed), so a late error cannot crash.
  const release = () => {
    if (released) return;
    released = true;
    client.off("notification", onNotification);
    client.release(true);
  };
  const onNotification = (message: Notification) => {
    if (message.channel === context.channel && message.payload === sessionId) pump();
  };
  client.on("notification", onNotification);
  client.on("error", (error: unknown) => {
    if (closed) return;
    closed = true;
    release();
    report(error);
  });
  try {
    // The channel is derived from validated identifiers and a hex hash (see channelOf).
    await client.query(`LISTEN "${context.channel}"`);
  } catch (error) {
    closed = true;
    release();
    throw error;
  }
  pump(); // catch up with what is already stored

  return {
    async close() {
      closed = true;
      release();
      await pumping;
    },
  };
}
