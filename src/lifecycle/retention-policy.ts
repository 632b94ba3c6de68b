import type { ReplayCaps } from "../history/replay.js";
import { resolveReplayCaps } from "../history/replay.js";
import type { SessionRecord } from "../persist/types.js";
import { LifecycleInputError } from "./errors.js";

/**
 * What {@link applyRetention} keeps. Every rule is optional; at least one must be given.
 * Sessions are judged by their **last activity**: the `createdAt` of their newest event, or
 * the record's `createdAt` when they have none (a long-running session that is still used is
 * never old). See docs/lifecycle.md.
 */
export interface RetentionPolicy {
  /** Delete sessions whose last activity is older than this many milliseconds. */
  maxAgeMs?: number;
  /**
   * Keep at most this many sessions: beyond it, the least recently active go. Sessions that
   * are protected (`keep`, live in the client) count toward the total but are never deleted.
   */
  maxSessions?: number;
  /**
   * Trim sessions to about this many events (the trim marker included). A target, not a hard
   * cap: a trim cuts only between turns, always keeps the newest turn whole and never cuts
   * what a replay with `replay`'s caps would show.
   */
  maxEventsPerSession?: number;
  /**
   * Trim sessions to about this many bytes of stored events (UTF-8 of each event's JSON), with
   * the same rules as `maxEventsPerSession`. Checking it reads every event of every session.
   */
  maxBytesPerSession?: number;
  /** Sessions this returns `true` for are never deleted or trimmed. */
  keep?: (record: SessionRecord) => boolean;
  /**
   * The replay caps the client restores sessions with (default: the client's defaults, 50
   * entries and 12000 characters): a trim keeps every turn such a replay would show.
   */
  replay?: Partial<ReplayCaps>;
}

/** A policy with its values checked. */
export interface ResolvedRetentionPolicy {
  maxAgeMs: number | undefined;
  maxSessions: number | undefined;
  maxEventsPerSession: number | undefined;
  maxBytesPerSession: number | undefined;
  keep: ((record: SessionRecord) => boolean) | undefined;
  replay: ReplayCaps;
}

const RULES = ["maxAgeMs", "maxSessions", "maxEventsPerSession", "maxBytesPerSession"] as const;

/**
 * Check a policy. @throws LifecycleInputError naming every bad field: a rule that is not a
 * positive safe integer (`maxSessions` may be 0), `keep` that is not a function, unusable
 * replay caps, or no rule at all.
 */
export function resolveRetentionPolicy(policy: RetentionPolicy): ResolvedRetentionPolicy {
  const problems: string[] = [];
  if (typeof policy !== "object" || policy === null) throw new LifecycleInputError("retention policy", ["policy: must be an object"]);
  for (const rule of RULES) {
    const value = policy[rule];
    if (value === undefined) continue;
    const min = rule === "maxSessions" ? 0 : 1;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
      problems.push(`policy.${rule}: must be ${min === 0 ? "a non-negative" : "a positive"} integer, got ${String(value)}`);
    }
  }
  if (RULES.every((rule) => policy[rule] === undefined)) {
    problems.push(`policy: give at least one of ${RULES.join(", ")}`);
  }
  if (policy.keep !== undefined && typeof policy.keep !== "function") problems.push("policy.keep: must be a function");
  let replay: ReplayCaps = { maxEvents: 0, maxChars: 0 };
  try {
    replay = resolveReplayCaps(policy.replay ?? {});
  } catch (error) {
    problems.push(`policy.replay: ${(error as Error).message}`);
  }
  if (problems.length > 0) throw new LifecycleInputError("retention policy", problems);
  return {
    maxAgeMs: policy.maxAgeMs,
    maxSessions: policy.maxSessions,
    maxEventsPerSession: policy.maxEventsPerSession,
    maxBytesPerSession: policy.maxBytesPerSession,
    keep: policy.keep,
    replay,
  };
}
