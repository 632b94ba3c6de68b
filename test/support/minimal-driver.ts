import {
  compareSessionKeys,
  decodeEventCursor,
  decodeSessionCursor,
  encodeEventCursor,
  encodeSessionCursor,
  EventConflictError,
  parseListEventsRequest,
  parseListPageRequest,
  parseSessionEvent,
  parseSessionId,
  parseSessionRecord,
  sameEvent,
  type ListEventsRequest,
  type ListPage,
  type ListPageRequest,
  type SessionEvent,
  type SessionPersistDriver,
  type SessionRecord,
} from "../../src/driver.js";

// A driver with only the five base methods, as an app written for the reference client
// would bring: no capabilities, deliberately simple (sort on read), but following every
// rule: validation through the parse* helpers, keyset cursors, idempotency and conflicts.

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The smallest driver that satisfies the base contract. */
export class MinimalDriver implements SessionPersistDriver {
  private readonly records = new Map<string, SessionRecord>();
  private readonly events = new Map<string, SessionEvent[]>();
  private readonly byId = new Map<string, SessionEvent>();

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const record = this.records.get(parseSessionId(id));
    return record && copy(record);
  }

  async listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>> {
    const { cursor, limit } = parseListPageRequest(request);
    const after = cursor === undefined ? undefined : decodeSessionCursor(cursor);
    const rest = [...this.records.values()]
      .sort(compareSessionKeys)
      .filter((r) => !after || compareSessionKeys(r, { createdAt: after.afterCreatedAt, id: after.afterId }) > 0);
    const items = rest.slice(0, limit).map(copy);
    const last = items[items.length - 1];
    return rest.length > limit && last
      ? { items, nextCursor: encodeSessionCursor({ afterCreatedAt: last.createdAt, afterId: last.id }) }
      : { items };
  }

  async updateSession(session: SessionRecord): Promise<void> {
    const record = parseSessionRecord(session);
    this.records.set(record.id, copy(record));
  }

  async listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    const { sessionId, cursor, limit } = parseListEventsRequest(request);
    const afterIndex = cursor === undefined ? -1 : decodeEventCursor(cursor, sessionId).afterIndex;
    const rest = (this.events.get(sessionId) ?? [])
      .filter((e) => e.eventIndex > afterIndex)
      .sort((a, b) => a.eventIndex - b.eventIndex);
    const items = rest.slice(0, limit).map(copy);
    const last = items[items.length - 1];
    return rest.length > limit && last
      ? { items, nextCursor: encodeEventCursor({ sessionId, afterIndex: last.eventIndex }) }
      : { items };
  }

  async insertEvent(sessionId: string, event: SessionEvent): Promise<void> {
    const valid = parseSessionEvent(parseSessionId(sessionId, "sessionId"), event);
    const known = this.byId.get(valid.id);
    if (known) {
      if (sameEvent(known, valid)) return;
      throw new EventConflictError("id", sessionId, valid.id, valid.eventIndex);
    }
    const list = this.events.get(sessionId) ?? [];
    if (list.some((e) => e.eventIndex === valid.eventIndex)) {
      throw new EventConflictError("eventIndex", sessionId, valid.id, valid.eventIndex);
    }
    const stored = copy(valid);
    list.push(stored);
    this.events.set(sessionId, list);
    this.byId.set(stored.id, stored);
  }
}
