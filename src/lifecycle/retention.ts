import type { SessionPersistDriver } from "../persist/types.js";
import { resolveRetentionPolicy, type RetentionPolicy } from "./retention-policy.js";
import type { SessionTrim } from "./trim-session.js";

export type { RetentionPolicy } from "./retention-policy.js";
export type { SessionTrim } from "./trim-session.js";

/** Options of {@link applyRetention}. */
export interface ApplyRetentionOptions {
  /** The current time, epoch milliseconds (default `Date.now()`); ages are measured from it. */
  now?: number;
  /** Stops the run between two sessions with `AbortedError` (what was done stays done; each step is atomic). */
  signal?: AbortSignal;
  /** Called as the run goes: after each session scanned, deleted or trimmed. */
  onProgress?: (progress: RetentionProgress) => void;
  /** Sessions never touched, e.g. those live in a client (`true` = leave it alone). */
  skip?: (sessionId: string) => boolean;
  /** Compute the report without deleting or trimming anything. */
  dryRun?: boolean;
  /** Sessions worked on at once (default 4): store round trips overlap. */
  concurrency?: number;
}

/** Where a retention run is. */
export interface RetentionProgress {
  /** `scan`: reading records and last activity; `delete`: deleting sessions; `trim`: trimming sessions. */
  phase: "scan" | "delete" | "trim";
  /** Sessions done in this phase. */
  done: number;
  /** Sessions this phase will look at (for `scan`: the sessions seen so far). */
  total: number;
}

/** A session retention deleted (or would delete, in a dry run). */
export interface DeletedSession {
  /** The session's id. */
  id: string;
  /** Which rule deleted it. */
  rule: "maxAgeMs" | "maxSessions";
  /** Its last activity, epoch milliseconds. */
  lastActivityAt: number;
}

/** A session retention left alone although a rule applied to it, and why. */
export interface SkippedSession {
  /** The session's id. */
  id: string;
  /**
   * `undeletable`: the driver has no `deleteSession`; `untrimmable`: the driver cannot delete
   * events (`deleteEventsBefore`).
   */
  reason: "undeletable" | "untrimmable";
}

/** What a retention run did. */
export interface RetentionReport {
  /** The run changed nothing (`dryRun`): the report says what it would have done. */
  dryRun: boolean;
  /** Sessions read. */
  scannedSessions: number;
  /** Sessions protected by `policy.keep` or `skip` (never touched). */
  protectedSessions: number;
  /** Sessions deleted whole, with their events. */
  deletedSessions: DeletedSession[];
  /** Sessions whose oldest events were deleted. */
  trimmedSessions: SessionTrim[];
  /** Events deleted by trims (events of deleted sessions are not counted). */
  removedEvents: number;
  /** Sessions a rule applied to that the driver could not change. */
  skipped: SkippedSession[];
  /** Wall time of the run, in ms. */
  durationMs: number;
}

/**
 * Apply a retention policy to every session of `driver`:
 * 1. read every record and its last activity (its newest event's `createdAt`, or the
 *    record's own when it has no events);
 * 2. delete the sessions older than `maxAgeMs`, then, over `maxSessions`, the least recently
 *    active (each with `deleteSession`: its record and all its events);
 * 3. trim the remaining sessions to `maxEventsPerSession` / `maxBytesPerSession`, keeping
 *    whole turns, the newest turn and the turns the replay needs, and leaving a
 *    `_durable_agent/history_trimmed` marker at the cut (one atomic `deleteEventsBefore`).
 *
 * Sessions for which `policy.keep` or `options.skip` says so are never touched. Resolves what
 * was done. See docs/lifecycle.md.
 * @throws LifecycleInputError for an unusable policy (nothing is changed).
 * @throws AbortedError when `options.signal` fires (the work done so far stays done).
 */
export async function applyRetention(
  driver: SessionPersistDriver,
  policy: RetentionPolicy,
  options: ApplyRetentionOptions = {},
): Promise<RetentionReport> {
  resolveRetentionPolicy(policy);
  // The run itself is loaded on first use: an app that never applies retention never loads it.
  const { runRetention } = await import("./retention-run.js");
  return runRetention(driver, policy, options);
}
