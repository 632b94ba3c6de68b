import {
  compareSessionKeys,
  PersistDriver,
  type EventClash,
  type PersistBackend,
  type SessionEvent,
  type SessionKey,
  type SessionRecord,
} from "../../src/driver.js";

/**
 * A complete backend: records and events kept as JSON text under keys, the way a key-value
 * store (Redis, a directory of files) keeps them. Text makes every read a fresh copy, so
 * callers may mutate what they get. Listings sort what they read, to stay short; a real
 * store keeps its keys sorted instead (see "How a real store maps the primitives").
 */
export class JsonMapBackend implements PersistBackend {
  /** Session id → the record as JSON. */
  readonly #sessions = new Map<string, string>();
  /** Session id → (eventIndex → the event as JSON). */
  readonly #events = new Map<string, Map<number, string>>();
  /** Event id → where that event is: event ids are unique across sessions. */
  readonly #eventIds = new Map<string, { sessionId: string; eventIndex: number }>();

  readSession(id: string): SessionRecord | undefined {
    const json = this.#sessions.get(id);
    return json === undefined ? undefined : (JSON.parse(json) as SessionRecord);
  }

  writeSession(record: SessionRecord): void {
    this.#sessions.set(record.id, JSON.stringify(record));
  }

  insertSession(record: SessionRecord): boolean {
    if (this.#sessions.has(record.id)) return false; // atomic: nothing runs in between
    this.writeSession(record);
    return true;
  }

  scanSessions(after: SessionKey | undefined, limit: number): SessionRecord[] {
    return [...this.#sessions.values()]
      .map((json) => JSON.parse(json) as SessionRecord)
      .filter((record) => after === undefined || compareSessionKeys(record, after) > 0)
      .sort(compareSessionKeys)
      .slice(0, limit);
  }

  scanEvents(sessionId: string, afterIndex: number, limit: number): SessionEvent[] {
    const indexes = this.#indexes(sessionId).filter((index) => index > afterIndex);
    return indexes.slice(0, limit).map((index) => this.#event(sessionId, index));
  }

  readTail(sessionId: string, limit: number): SessionEvent[] {
    return this.#indexes(sessionId).slice(-limit).map((index) => this.#event(sessionId, index));
  }

  insertEvents(sessionId: string, events: readonly SessionEvent[]): EventClash[] | undefined {
    const log = this.#events.get(sessionId) ?? new Map<number, string>();
    const clashes: EventClash[] = [];
    for (const event of events) {
      const stored = this.#eventIds.get(event.id);
      if (stored !== undefined) clashes.push({ event, storedWithId: this.#event(stored.sessionId, stored.eventIndex) });
      else if (log.has(event.eventIndex)) clashes.push({ event, indexTaken: true });
    }
    if (clashes.length > 0) return clashes; // all or nothing: write none of them
    for (const event of events) {
      log.set(event.eventIndex, JSON.stringify(event));
      this.#eventIds.set(event.id, { sessionId, eventIndex: event.eventIndex });
    }
    this.#events.set(sessionId, log);
    return undefined;
  }

  deleteSession(id: string): void {
    for (const json of this.#events.get(id)?.values() ?? []) this.#eventIds.delete((JSON.parse(json) as SessionEvent).id);
    this.#events.delete(id);
    this.#sessions.delete(id);
  }

  close(): void {
    // Nothing to release: the maps go with the backend.
  }

  /** The session's event indexes, ascending. */
  #indexes(sessionId: string): number[] {
    return [...(this.#events.get(sessionId)?.keys() ?? [])].sort((a, b) => a - b);
  }

  #event(sessionId: string, eventIndex: number): SessionEvent {
    return JSON.parse(this.#events.get(sessionId)?.get(eventIndex) as string) as SessionEvent;
  }
}

/** The backend as a driver: validation, cursors, paging, idempotency and errors come from the kit. */
export class JsonMapSessionPersistDriver extends PersistDriver {
  constructor() {
    super("JsonMapSessionPersistDriver", new JsonMapBackend());
  }
}
