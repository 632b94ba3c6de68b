import type { DurableAgentErrorCode } from "./error-codes.js";

/**
 * Root of every error durable-agent throws on purpose. Catch this to tell the SDK's own,
 * typed failures apart from bugs; switch on {@link DurableAgentError.code} for the kind.
 */
export class DurableAgentError extends Error {
  /**
   * A stable, machine-readable kind, e.g. `"persist.conflict"` or `"runtime.lost"`: one of
   * the literals of {@link DurableAgentErrorCode}, so a `switch` on it is checked.
   */
  readonly code: DurableAgentErrorCode;

  constructor(code: DurableAgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /**
   * A plain object for logs and JSON: `name`, `code`, `message` and the error's own fields
   * (HTTP status, session id...), plus the cause's message. No stack.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message };
    for (const [key, value] of Object.entries(this)) {
      if (!(key in out) && key !== "stack" && key !== "cause") out[key] = value;
    }
    const cause = this.cause;
    if (cause !== undefined) out.cause = cause instanceof Error ? cause.message : String(cause);
    return out;
  }
}
