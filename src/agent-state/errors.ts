import { DurableAgentError } from "../errors.js";

/**
 * Copying a session's agent state out of the sandbox after a turn failed (the runtime's file
 * routes or the store refused). The turn itself succeeded; the stored copy stays as it was
 * after the last good snapshot, and the next turn tries again. Reported through `onError`.
 */
export class AgentStateSnapshotError extends DurableAgentError {
  /** The session. */
  readonly sessionId: string;

  constructor(sessionId: string, message: string, options?: { cause?: unknown }) {
    super("agent_state.snapshot_failed", `Agent state snapshot of session "${sessionId}" failed: ${message}`, options);
    this.sessionId = sessionId;
  }
}

/**
 * A session's agent state is larger than the caps (`agentState.maxFileBytes` or
 * `maxSessionBytes`): it is no longer copied, and the stored copy is dropped (a stale copy
 * would bring back an older session without a word), so a later restoration replays history.
 */
export class AgentStateTooLargeError extends DurableAgentError {
  /** The session. */
  readonly sessionId: string;
  /** The file (sandbox path) that went over a cap. */
  readonly path: string;
  /** Its size, or the session's total, in bytes. */
  readonly size: number;
  /** The cap it went over, in bytes. */
  readonly limit: number;

  constructor(sessionId: string, path: string, size: number, limit: number, which: "file" | "session") {
    super(
      "agent_state.too_large",
      `Agent state of session "${sessionId}" is not kept: ${which === "file" ? `file ${path} holds` : `its files (with ${path}) hold`} ` +
        `${size} bytes, over the ${which} cap of ${limit}; the stored copy was dropped and a restoration will replay history`,
    );
    this.sessionId = sessionId;
    this.path = path;
    this.size = size;
    this.limit = limit;
  }
}

/**
 * Writing a session's stored agent state back into a new sandbox failed; the session is
 * restored by replay instead. Reported through `onError`.
 */
export class AgentStateRestoreError extends DurableAgentError {
  /** The session. */
  readonly sessionId: string;

  constructor(sessionId: string, message: string, options?: { cause?: unknown }) {
    super("agent_state.restore_failed", `Writing the agent state of session "${sessionId}" back into the sandbox failed: ${message}`, options);
    this.sessionId = sessionId;
  }
}
