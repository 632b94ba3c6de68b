import { DurableAgentError } from "../errors.js";

/**
 * The app's `redact` hook threw (or returned something that is not a JSON-RPC envelope) for
 * an event. The event was NOT stored in clear: its content was withheld (the stored event
 * keeps its place, `jsonrpc`, `id` and `method`, with the marker of {@link withheldEnvelope}
 * in place of its content), listeners saw the original, and this error reports it through
 * `onError`.
 */
export class RedactionFailedError extends DurableAgentError {
  /** The session of the event. */
  readonly sessionId: string;
  /** The id of the event whose content was withheld. */
  readonly eventId: string;
  /** The `eventIndex` of that event. */
  readonly eventIndex: number;

  constructor(sessionId: string, eventId: string, eventIndex: number, cause: unknown) {
    super(
      "redaction.failed",
      `Redaction failed for event ${eventIndex} of session "${sessionId}" (${(cause as Error)?.message ?? String(cause)}); its content was withheld from the store, not stored in clear`,
      { cause },
    );
    this.sessionId = sessionId;
    this.eventId = eventId;
    this.eventIndex = eventIndex;
  }
}

/**
 * A `SessionStore` redaction hook threw for a batch of entries: nothing of the batch was
 * stored, and `append` rejects with this error (the Claude Agent SDK retries, then reports a
 * `mirror_error`).
 */
export class SessionStoreRedactionError extends DurableAgentError {
  constructor(cause: unknown) {
    super(
      "redaction.failed",
      `Redaction failed for a batch of session store entries (${(cause as Error)?.message ?? String(cause)}); nothing of the batch was stored`,
      { cause },
    );
  }
}
