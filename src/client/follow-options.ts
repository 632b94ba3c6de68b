import type { SessionEvent } from "../persist/types.js";
import { InvalidOptionsError } from "./errors.js";
import { checkOptionKeys } from "./check-options.js";

// The options of `followSession` and their check, apart from the follower itself: the client
// checks them at once and loads the follower (./follower.ts) only when one is started.

/** Options of `SandboxAgent.followSession`. */
export interface FollowSessionOptions {
  /** Receives each stored event once, in `eventIndex` order, never concurrently with itself. */
  onEvent: (event: SessionEvent) => void | Promise<void>;
  /** Deliver events after this `eventIndex` (default -1: from the session's first event). */
  afterIndex?: number;
  /**
   * How often to read the store for new events, in ms (default 250). With a driver's own live
   * feed the poll runs four times less often, as a safety net (e.g. for writers that do not signal).
   */
  pollMs?: number;
  /** Receives failures (a read that failed; the follower goes on and reads again at the next poll). */
  onError?: (error: unknown) => void;
}

const FOLLOW_KEYS = ["onEvent", "afterIndex", "pollMs", "onError"];

/** Check the options of `followSession`; throws {@link InvalidOptionsError} naming the bad one. */
export function checkFollowOptions(options: FollowSessionOptions): void {
  checkOptionKeys("followSession", options, FOLLOW_KEYS);
  if (typeof options.onEvent !== "function") throw new InvalidOptionsError("followSession needs an onEvent function");
  const { afterIndex, pollMs } = options;
  if (afterIndex !== undefined && (!Number.isInteger(afterIndex) || afterIndex < -1)) {
    throw new InvalidOptionsError(`followSession afterIndex must be an integer of at least -1, got ${JSON.stringify(afterIndex)}`);
  }
  if (pollMs !== undefined && (!Number.isFinite(pollMs) || pollMs < 10)) {
    throw new InvalidOptionsError(`followSession pollMs must be a number of ms of at least 10, got ${JSON.stringify(pollMs)}`);
  }
}
