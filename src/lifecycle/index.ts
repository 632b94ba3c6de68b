// Session lifecycle: retention (delete and trim old history) and fork. See docs/lifecycle.md.
export {
  applyRetention,
  type ApplyRetentionOptions,
  type DeletedSession,
  type RetentionProgress,
  type RetentionReport,
  type SkippedSession,
} from "./retention.js";
export { resolveRetentionPolicy, type RetentionPolicy, type ResolvedRetentionPolicy } from "./retention-policy.js";
export { trimSession, eventBytes, type SessionTrim, type TrimLimits } from "./trim-session.js";
export { LifecycleInputError, ForkSourceNotFoundError, ForkTargetExistsError, ForkIndexOutOfRangeError } from "./errors.js";
export {
  HISTORY_TRIMMED_METHOD,
  FORKED_FROM_METHOD,
  historyTrimmedMarker,
  forkedFromMarker,
  historyTrimmedDetails,
  forkedFromDetails,
  isHistoryTrimmedMarker,
  isForkedFromMarker,
  forkOrigin,
  type HistoryTrimmedDetails,
  type ForkedFromDetails,
} from "../protocol/lifecycle-markers.js";
export { hasEventTrim, deleteEventsBeforeVia, type EventTrimCapability } from "../persist/trim.js";
export { hasSessionActivity, type SessionActivity, type SessionActivityCapability } from "../persist/activity.js";
export {
  RetentionScheduler,
  checkRetentionSchedule,
  MIN_RETENTION_INTERVAL_MS,
  type RetentionScheduleOptions,
  type RetentionSchedulerOptions,
} from "./retention-scheduler.js";
export { forkSession, type ForkSessionOptions, type ForkResult } from "./fork.js";
export { RetentionFailedError, retentionFailure } from "./errors.js";
