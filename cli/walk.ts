import { encodeEventCursor } from "../src/persist/cursor.js";
import type { SessionEvent, SessionPersistDriver, SessionRecord } from "../src/persist/types.js";
import { MAX_PAGE_LIMIT } from "../src/persist/types.js";

// Reading a whole store or session page by page, through the drivers' keyset cursors, so
// memory stays one page whatever the store's size.

/** Every session record, in listing order `(createdAt, id)`. */
export async function* allSessions(driver: SessionPersistDriver): AsyncGenerator<SessionRecord> {
  let cursor: string | undefined;
  do {
    const page = await driver.listSessions({ cursor, limit: MAX_PAGE_LIMIT });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** A session's events after `afterIndex` (-1: all), one page at a time. */
export async function* eventPages(
  driver: SessionPersistDriver,
  sessionId: string,
  afterIndex = -1,
  pageSize = MAX_PAGE_LIMIT,
): AsyncGenerator<SessionEvent[]> {
  let cursor: string | undefined = afterIndex < 0 ? undefined : encodeEventCursor({ sessionId, afterIndex });
  do {
    const page = await driver.listEvents({ sessionId, cursor, limit: pageSize });
    if (page.items.length > 0) yield page.items;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** The `eventIndex` of a session's last stored event, or -1 when it has none. */
export async function lastEventIndex(
  driver: SessionPersistDriver & { listLatestEvents(sessionId: string, limit: number): Promise<SessionEvent[]> },
  sessionId: string,
): Promise<number> {
  const [last] = await driver.listLatestEvents(sessionId, 1);
  return last?.eventIndex ?? -1;
}
