import { DurableAgentError } from "../errors.js";
import type { SessionLease } from "../persist/leases.js";

/**
 * Another client holds the session's lease: it drives the session now. Thrown by
 * `createSession`, `resumeSession` and `resumeOrCreateSession` when leasing is on and the
 * lease did not come free within the call's `waitMs` (0: at once).
 */
export class SessionLeasedError extends DurableAgentError {
  /** The session asked for. */
  readonly sessionId: string;
  /** Who holds the lease (a holder id: by default a random id per `SandboxAgent`, or the one it was given). */
  readonly holder: string;
  /** When the holder's lease expires unless renewed, epoch ms (by the store's clock where it has one). */
  readonly expiresAt: number;

  constructor(heldBy: SessionLease, waitedMs: number) {
    const waited = waitedMs > 0 ? ` after waiting ${Math.round(waitedMs)} ms` : "";
    super(
      "session.leased",
      `Session "${heldBy.sessionId}" is leased by "${heldBy.holder}" until ${new Date(heldBy.expiresAt).toISOString()}${waited}; ` +
        "wait for it (lease.waitMs) or follow it read-only (followSession)",
    );
    this.sessionId = heldBy.sessionId;
    this.holder = heldBy.holder;
    this.expiresAt = heldBy.expiresAt;
  }
}

/**
 * This client no longer holds the session's lease: another client took the session over
 * (after this one's lease expired, e.g. while the process was paused), or renewing failed
 * past the lease's expiry. The session writes nothing more; its prompts and settings fail
 * with this error. Resume the session again (`resumeSession`) to try to take it back.
 */
export class SessionLeaseLostError extends DurableAgentError {
  /** The session. */
  readonly sessionId: string;
  /** The holder id this client used. */
  readonly holder: string;

  constructor(sessionId: string, holder: string, cause: unknown) {
    const why = (cause as Error | undefined)?.message ?? String(cause);
    super("session.lease_lost", `This client ("${holder}") lost the lease on session "${sessionId}"; nothing more is written: ${why}`, { cause });
    this.sessionId = sessionId;
    this.holder = holder;
  }
}

/** Whether `error` is the store's refusal of a superseded lease (`LeaseLostError`). */
export function isStoreLeaseLost(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === "persist.lease_lost";
}
