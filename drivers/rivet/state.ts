import { setOwnProperty } from "../../src/persist/json-copy.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import { RivetStateError } from "./errors.js";
import type { RetentionReport } from "./retention.js";
import { fromState, toState } from "./state-keys.js";

// The driver's data in the actor state, in the reference driver's layout: a state written by
// it opens here as it is, and a `c.state` reader finds the records where it expects them.

/** What durable-agent adds to the reference layout; a reference reader ignores it. */
export interface RivetPersistBookkeeping {
  /** Where this actor's events are: once `"sqlite"`, the driver refuses to open without the database. */
  eventStorage: "state" | "sqlite";
  /** Sessions dropped by the caps, ever. */
  droppedSessions: number;
  /** Events dropped by the caps (alone or with their session), ever. */
  droppedEvents: number;
  /** The latest drop, when there was one. */
  lastDrop?: RetentionReport;
}

/** The driver's data under its key of `c.state`. */
export interface RivetPersistData {
  /** Session records by id. */
  sessions: Record<string, SessionRecord>;
  /** Events by session id, ascending `eventIndex` (empty when events are in the actor's SQLite database). */
  events: Record<string, SessionEvent[]>;
  /** durable-agent's bookkeeping (absent in a state written by the reference driver). */
  durableAgent?: RivetPersistBookkeeping;
}

/**
 * What the actor's state holds for the driver, under its default key: intersect it with the
 * actor's own state type (`type PersistedState = RivetPersistState & { sandboxId: string }`).
 */
export interface RivetPersistState {
  /** The driver's data (the reference driver's key and layout). */
  _sandboxAgentPersist: RivetPersistData;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The driver's data in `state[key]`, created empty when absent. Checks the shape (objects of
 * records and of event arrays) without walking every event.
 * @throws RivetStateError when the key holds something else; nothing is changed.
 */
export function openPersistData(state: object, key: string): RivetPersistData {
  const slots = state as Record<string, unknown>;
  if (!Object.hasOwn(slots, key) || slots[key] === undefined) {
    slots[key] = { sessions: {}, events: {} } satisfies RivetPersistData;
    return slots[key] as RivetPersistData;
  }
  const data = slots[key];
  if (!isPlainObject(data)) throw new RivetStateError(key, `it holds a ${Array.isArray(data) ? "array" : typeof data}, not the driver's data`);
  if (!isPlainObject(data.sessions)) throw new RivetStateError(key, "its `sessions` is not an object of session records");
  if (!isPlainObject(data.events)) throw new RivetStateError(key, "its `events` is not an object of event arrays");
  for (const [id, record] of Object.entries(data.sessions)) {
    if (!isPlainObject(record) || record.id !== id || typeof record.createdAt !== "number") {
      throw new RivetStateError(key, `sessions[${JSON.stringify(id)}] is not a session record with that id`);
    }
  }
  for (const [id, events] of Object.entries(data.events)) {
    if (!Array.isArray(events)) throw new RivetStateError(key, `events[${JSON.stringify(id)}] is not an array`);
  }
  const bookkeeping = data.durableAgent;
  if (bookkeeping !== undefined && (!isPlainObject(bookkeeping) || (bookkeeping.eventStorage !== "state" && bookkeeping.eventStorage !== "sqlite"))) {
    throw new RivetStateError(key, "its `durableAgent` bookkeeping is damaged");
  }
  return data as unknown as RivetPersistData;
}

/** The bookkeeping of `data`, created when absent (a state written by the reference driver). */
export function bookkeepingOf(data: RivetPersistData, eventStorage: "state" | "sqlite"): RivetPersistBookkeeping {
  data.durableAgent ??= { eventStorage, droppedSessions: 0, droppedEvents: 0 };
  return data.durableAgent;
}

/** A copy of a record as the state keeps it (keys escaped, see state-keys.ts). */
export const recordToState = (record: SessionRecord): SessionRecord => toState(record, "session record", "session");
/** A fresh copy of a record the state keeps. */
export const recordFromState = (record: SessionRecord): SessionRecord => fromState(record);
/** A fresh copy of an event the state keeps. */
export const eventFromState = (event: SessionEvent): SessionEvent => fromState(event);

/** Store `value` under `id` of `map` as an own property (an id may be `"__proto__"`). */
export function putOwn<T>(map: Record<string, T>, id: string, value: T): void {
  setOwnProperty(map as Record<string, unknown>, id, value);
}

/** `map[id]` when `id` is an own key, else `undefined` (never an inherited property). */
export function getOwn<T>(map: Record<string, T>, id: string): T | undefined {
  return Object.hasOwn(map, id) ? map[id] : undefined;
}
