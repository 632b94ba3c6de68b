import type { SessionPersistDriver, SessionRecord } from "../persist/types.js";

// Forking a stored session: a new record and a copy of the parent's history up to a point.
// The fork's first event (eventIndex 0) is a `_durable_agent/forked_from` marker naming the
// parent; the copied events follow from eventIndex 1 with new ids, in their order. The fork
// has no agent session yet (`agentSessionId` is ""): the first resume starts a fresh agent
// session and replays the copied history, like any session whose agent session is gone.

/** Options of {@link forkSession}. */
export interface ForkSessionOptions {
  /**
   * The last parent event to copy, by `eventIndex` (default: the parent's last event). Must lie
   * within the parent's stored events; a fork cut inside a turn replays that turn as interrupted.
   */
  atEventIndex?: number;
  /** The fork's id (default: a random UUID). Must not be taken. */
  newId?: string;
  /** The fork's `createdAt` and the marker's time, epoch milliseconds (default `Date.now()`). */
  now?: number;
  /** Events per `insertEvents` batch (default 1000). */
  batchSize?: number;
}

/** What {@link forkSession} made. */
export interface ForkResult {
  /** The fork's stored record. */
  record: SessionRecord;
  /** The parent's id. */
  parentSessionId: string;
  /** The last parent event copied (`-1` when the parent had none). */
  parentEventIndex: number;
  /** Events copied (the marker not counted). */
  copiedEvents: number;
}

/**
 * Copy `parentId`'s history up to `options.atEventIndex` into a new session that records its
 * parent. The parent is only read. Bad input changes nothing: the id is claimed
 * (`insertSession`) only after every check passed, and when a copy fails the fork is deleted
 * again where the driver can (`deleteSession`).
 * @throws ForkSourceNotFoundError when no session `parentId` is stored.
 * @throws ForkIndexOutOfRangeError when `atEventIndex` lies outside the parent's stored events.
 * @throws ForkTargetExistsError when `newId` is taken.
 * @throws LifecycleInputError for options that are not usable (e.g. a non-integer index).
 */
export async function forkSession(driver: SessionPersistDriver, parentId: string, options: ForkSessionOptions = {}): Promise<ForkResult> {
  // The copy is loaded on first use: an app that never forks never loads it.
  const { copyIntoFork } = await import("./fork-copy.js");
  return copyIntoFork(driver, parentId, options);
}
