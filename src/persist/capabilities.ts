import type { AgentStateStorage } from "./agent-state.js";
import { UnsupportedCapabilityError } from "./errors.js";
import type { SessionLeaseCapabilities } from "./leases.js";
import { parseSessionRecord, parseTailLimit } from "./schemas.js";
import type {
  SessionEvent,
  SessionPersistCapabilities,
  SessionPersistDriver,
  SessionPersistDriverWithCapabilities,
  SessionRecord,
} from "./types.js";
import { MAX_PAGE_LIMIT } from "./types.js";

// Capability detection. The client calls these instead of the optional methods, so a
// driver with only the five base methods (one written for the reference client, say)
// works unchanged, and one with the capabilities gets the fast path.

/** Names of the optional capabilities a driver has. */
export function driverCapabilities(driver: SessionPersistDriver): (keyof SessionPersistCapabilities)[] {
  const d = driver as SessionPersistDriverWithCapabilities;
  const names: (keyof SessionPersistCapabilities)[] = [
    "insertSession",
    "insertEvents",
    "listLatestEvents",
    "deleteSession",
    "close",
    ...LEASE_METHODS,
    ...AGENT_STATE_METHODS,
  ];
  return names.filter((name) => typeof d[name] === "function");
}

/** The methods of the agent state capability: a driver that stores agent state has all four. */
export const AGENT_STATE_METHODS = [
  "appendAgentState",
  "readAgentState",
  "listAgentState",
  "deleteAgentState",
] as const satisfies readonly (keyof AgentStateStorage)[];

/**
 * Whether the driver stores agent state files (all of {@link AGENT_STATE_METHODS}). There is
 * no fallback over the base methods: without it, agent state is not kept.
 */
export function hasAgentState<D extends SessionPersistDriver>(driver: D): driver is D & AgentStateStorage {
  const d = driver as SessionPersistDriverWithCapabilities;
  return AGENT_STATE_METHODS.every((name) => typeof d[name] === "function");
}

/** The methods of the lease capability: a driver with leases has every one of them. */
export const LEASE_METHODS = [
  "acquireLease",
  "renewLease",
  "releaseLease",
  "getLease",
  "insertEventsFenced",
  "updateSessionFenced",
] as const satisfies readonly (keyof SessionLeaseCapabilities)[];

/**
 * Whether the driver has session leases with fencing (all of {@link LEASE_METHODS}), detected
 * with `typeof driver.acquireLease === "function"` like every capability. There is no fallback
 * over the base methods: a client that needs leases fails with a clear error without them.
 */
export function hasLeases<D extends SessionPersistDriver>(driver: D): driver is D & SessionLeaseCapabilities {
  return typeof (driver as SessionPersistDriverWithCapabilities).acquireLease === "function";
}

/**
 * Store a record unless its id is taken: `true` when it was stored, `false` (nothing changed)
 * when a record with that id exists. Atomic through `insertSession` when the driver has it.
 * Otherwise `getSession` then `updateSession`, which is racy: two callers that both find no
 * record both store theirs, and the later write wins.
 * @throws PersistValidationError on an invalid record (nothing is written).
 */
export async function insertSessionVia(driver: SessionPersistDriver, session: SessionRecord): Promise<boolean> {
  const d = driver as SessionPersistDriverWithCapabilities;
  if (typeof d.insertSession === "function") return d.insertSession(session);
  const record = parseSessionRecord(session);
  if (await driver.getSession(record.id)) return false;
  await driver.updateSession(record);
  return true;
}

/**
 * Store events of one session: atomically through `insertEvents` when the driver has it,
 * otherwise one `insertEvent` after the other, in order (not atomic: a failure leaves the
 * events before it stored).
 */
export async function insertEventsVia(
  driver: SessionPersistDriver,
  sessionId: string,
  events: readonly SessionEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const d = driver as SessionPersistDriverWithCapabilities;
  if (typeof d.insertEvents === "function") {
    await d.insertEvents(sessionId, events);
    return;
  }
  for (const event of events) await driver.insertEvent(sessionId, event);
}

/**
 * The last `limit` events of a session, ascending: one `listLatestEvents` call when the
 * driver has it; otherwise a walk over every page, keeping only the newest `limit`
 * (memory stays bounded, time grows with the session).
 */
export async function listLatestEventsVia(
  driver: SessionPersistDriver,
  sessionId: string,
  limit: number,
): Promise<SessionEvent[]> {
  const n = parseTailLimit(limit);
  const d = driver as SessionPersistDriverWithCapabilities;
  if (typeof d.listLatestEvents === "function") return d.listLatestEvents(sessionId, n);
  let tail: SessionEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await driver.listEvents({ sessionId, cursor, limit: MAX_PAGE_LIMIT });
    tail = tail.concat(page.items);
    if (tail.length > n) tail = tail.slice(tail.length - n);
    cursor = page.nextCursor;
  } while (cursor);
  return tail;
}

/** Delete a session and its events. Throws {@link UnsupportedCapabilityError} when the driver cannot. */
export async function deleteSessionVia(driver: SessionPersistDriver, id: string): Promise<void> {
  const d = driver as SessionPersistDriverWithCapabilities;
  if (typeof d.deleteSession !== "function") throw new UnsupportedCapabilityError("deleteSession");
  await d.deleteSession(id);
}

/** Close the driver when it can be closed; a no-op otherwise. */
export async function closeVia(driver: SessionPersistDriver): Promise<void> {
  const d = driver as SessionPersistDriverWithCapabilities;
  if (typeof d.close === "function") await d.close();
}
