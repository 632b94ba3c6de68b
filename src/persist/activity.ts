import type { MaybePromise, PersistBackend, SessionKey } from "./backend.js";
import { decodeSessionCursor, encodeSessionCursor } from "./cursor.js";
import { parseListPageRequest } from "./schemas.js";
import type { ListPage, ListPageRequest, SessionPersistDriver, SessionRecord } from "./types.js";

// Session activity: each record with the bounds of its events, in one listing. Retention reads
// it to judge every session (last activity, event count) without a read per session; drivers
// on an engine that can answer it in one query (a correlated index seek per row) have it.

/** A session record with the bounds of its stored events. */
export interface SessionActivity {
  /** The record. */
  record: SessionRecord;
  /** The lowest stored `eventIndex`; absent when the session has no events. */
  firstEventIndex?: number;
  /** The highest stored `eventIndex`; absent when the session has no events. */
  lastEventIndex?: number;
  /** `createdAt` of the event at `lastEventIndex`; absent when the session has no events. */
  lastEventAt?: number;
}

/** The session activity capability (optional, detected with {@link hasSessionActivity}). */
export interface SessionActivityCapability {
  /**
   * One page of records with the bounds of their events, in `listSessions` order (ascending
   * `(createdAt, id)`), with the same cursors (a cursor of one listing works for the other).
   */
  listSessionActivity(request?: ListPageRequest): Promise<ListPage<SessionActivity>>;
}

/** Whether the driver lists session activity in one call per page. */
export function hasSessionActivity<D extends SessionPersistDriver>(driver: D): driver is D & SessionActivityCapability {
  return typeof (driver as Partial<SessionActivityCapability>).listSessionActivity === "function";
}

/** The kit's `listSessionActivity` over a backend's `scanSessionActivity` primitive: validation, cursors, paging. */
export function activityMethod(
  backend: PersistBackend,
  driver: { assertOpen(): void; call<T>(run: () => MaybePromise<T>): MaybePromise<T> },
): SessionActivityCapability {
  const scan = backend.scanSessionActivity!.bind(backend);
  return {
    async listSessionActivity(request?: ListPageRequest): Promise<ListPage<SessionActivity>> {
      driver.assertOpen();
      const { cursor, limit } = parseListPageRequest(request);
      const after = cursor === undefined ? undefined : decodeSessionCursor(cursor);
      const key: SessionKey | undefined = after && { createdAt: after.afterCreatedAt, id: after.afterId };
      const rows = await driver.call(() => scan(key, limit + 1));
      if (rows.length <= limit) return { items: rows };
      rows.length = limit;
      const last = rows[limit - 1]!.record;
      return { items: rows, nextCursor: encodeSessionCursor({ afterCreatedAt: last.createdAt, afterId: last.id }) };
    },
  };
}
