/**
 * Root of every error durable-agent throws on purpose. Catch this to tell the SDK's own,
 * typed failures apart from bugs; switch on {@link DurableAgentError.code} for the kind.
 */
export class DurableAgentError extends Error {
  /** A stable, machine-readable kind, e.g. `"persist.conflict"` or `"runtime.lost"`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
