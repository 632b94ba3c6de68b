import { DurableAgentError } from "../errors.js";

/** A retention policy, a fork request or their options are unusable; nothing was changed. */
export class LifecycleInputError extends DurableAgentError {
  /** What was wrong, one line per problem, e.g. `"policy.maxAgeMs: must be a positive integer"`. */
  readonly problems: string[];

  constructor(what: string, problems: string[]) {
    super("lifecycle.invalid_input", `Invalid ${what}: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

/** The session to fork is not stored; nothing was written. */
export class ForkSourceNotFoundError extends DurableAgentError {
  /** The id that was asked for. */
  readonly sessionId: string;

  constructor(sessionId: string) {
    super("lifecycle.session_not_found", `Cannot fork session "${sessionId}": no such session is stored`);
    this.sessionId = sessionId;
  }
}

/** The id asked for the fork is taken by a stored session; nothing was written. */
export class ForkTargetExistsError extends DurableAgentError {
  /** The id that is taken. */
  readonly sessionId: string;

  constructor(sessionId: string) {
    super("lifecycle.session_exists", `Cannot fork into "${sessionId}": a session with this id is already stored`);
    this.sessionId = sessionId;
  }
}

/** `atEventIndex` lies beyond the parent's last stored event, or before its first; nothing was written. */
export class ForkIndexOutOfRangeError extends DurableAgentError {
  /** The parent session. */
  readonly sessionId: string;
  /** The index asked for. */
  readonly atEventIndex: number;
  /** The parent's first and last stored `eventIndex` (`undefined` when it has no events). */
  readonly stored: { first: number; last: number } | undefined;

  constructor(sessionId: string, atEventIndex: number, stored: { first: number; last: number } | undefined) {
    const range = stored ? `its events are ${stored.first}..${stored.last}` : "it has no events";
    super("lifecycle.index_out_of_range", `Cannot fork session "${sessionId}" at eventIndex ${atEventIndex}: ${range}`);
    this.sessionId = sessionId;
    this.atEventIndex = atEventIndex;
    this.stored = stored;
  }
}

/** A timed retention run failed with an error that is not one of the SDK's own (reported through `onError`). */
export class RetentionFailedError extends DurableAgentError {
  constructor(cause: unknown) {
    super("lifecycle.retention_failed", `A retention run failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** `error` itself when it is a {@link DurableAgentError}, otherwise wrapped in a {@link RetentionFailedError}. */
export function retentionFailure(error: unknown): DurableAgentError {
  return error instanceof DurableAgentError ? error : new RetentionFailedError(error);
}
