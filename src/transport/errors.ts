import type { DurableAgentErrorCode } from "../error-codes.js";
import { DurableAgentError } from "../errors.js";

/** A problem+json body as the runtime sends it (RFC 9457). */
export interface ProblemDetails {
  /** A URN naming the kind of problem, e.g. `urn:sandbox-agent:error:install_failed`. */
  type?: string;
  /** Short summary. */
  title?: string;
  /** HTTP status code. */
  status?: number;
  /** Human-readable explanation of this occurrence. */
  detail?: string;
  /** Any other members the runtime adds. */
  [key: string]: unknown;
}

/** Base class of every failure to talk to the agent runtime. */
export class RuntimeError extends DurableAgentError {
  /** HTTP status, when the runtime answered. */
  readonly status: number | undefined;
  /** The runtime's problem details, when it sent any. */
  readonly problem: ProblemDetails | undefined;

  constructor(
    code: DurableAgentErrorCode,
    message: string,
    options: { status?: number; problem?: ProblemDetails; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.status = options.status;
    this.problem = options.problem;
  }
}

/** The runtime refused the credentials (HTTP 401/403): check `token` or `headers`. */
export class AuthenticationError extends RuntimeError {
  constructor(message: string, options: { status?: number; problem?: ProblemDetails } = {}) {
    super("runtime.unauthorized", message, options);
  }
}

/** The runtime could not install or start the requested agent. */
export class AgentInstallError extends RuntimeError {
  /** The agent id that failed. */
  readonly agent: string;

  constructor(agent: string, message: string, options: { status?: number; problem?: ProblemDetails } = {}) {
    super("runtime.agent_install_failed", message, options);
    this.agent = agent;
  }
}

/** The runtime answered 404 for something that should exist. */
export class RuntimeNotFoundError extends RuntimeError {
  constructor(message: string, options: { status?: number; problem?: ProblemDetails } = {}) {
    super("runtime.not_found", message, options);
  }
}

/** The runtime (or the SDK's own deadline) gave up waiting. */
export class RuntimeTimeoutError extends RuntimeError {
  constructor(message: string, options: { status?: number; problem?: ProblemDetails; cause?: unknown } = {}) {
    super("runtime.timeout", message, options);
  }
}

/** The runtime cannot be reached: connection refused, DNS failure, 502/503, or not healthy in time. */
export class RuntimeUnavailableError extends RuntimeError {
  constructor(message: string, options: { status?: number; problem?: ProblemDetails; cause?: unknown } = {}) {
    super("runtime.unavailable", message, options);
  }
}

/**
 * The runtime connection a request was travelling on was lost (runtime restarted or
 * crashed, its ACP instance vanished, the event stream broke). Every request pending on
 * that connection settles with this error; the next call re-bootstraps the connection
 * and restores the session, so retrying the operation is safe.
 */
export class RuntimeLostError extends RuntimeError {
  /** Whether the request is known not to have reached the agent (safe to resend as is). */
  readonly undelivered: boolean;

  constructor(message: string, options: { undelivered?: boolean; status?: number; problem?: ProblemDetails; cause?: unknown } = {}) {
    super("runtime.lost", message, options);
    this.undelivered = options.undelivered ?? false;
  }
}

/** Any other HTTP failure from the runtime; `status` and `problem` tell what it said. */
export class RuntimeHttpError extends RuntimeError {
  constructor(message: string, options: { status?: number; problem?: ProblemDetails } = {}) {
    super("runtime.http_error", message, options);
  }
}

/** The operation was aborted through the caller's `AbortSignal`. */
export class AbortedError extends DurableAgentError {
  constructor(message = "The operation was aborted", options?: { cause?: unknown }) {
    super("aborted", message, options);
  }
}

/**
 * The runtime's event stream skipped messages of this connection that it could no longer
 * send again (sandbox-agent keeps only its last 1024). The turns running on the connection
 * are incomplete: their requests settle with this error, an events-lost marker is recorded in
 * each session the messages may have belonged to, and the connection is replaced, so the next
 * call restores the session. Nothing is lost silently.
 */
export class EventsLostError extends RuntimeLostError {
  override readonly code: DurableAgentErrorCode = "runtime.events_lost";
  /** How many messages are missing. */
  readonly lostEvents: number;
  /** Stream id of the first missing message. */
  readonly fromStreamId: number;
  /** Stream id of the last missing message. */
  readonly toStreamId: number;

  constructor(message: string, gap: { fromStreamId: number; toStreamId: number }) {
    super(message);
    this.fromStreamId = gap.fromStreamId;
    this.toStreamId = gap.toStreamId;
    this.lostEvents = gap.toStreamId - gap.fromStreamId + 1;
  }
}

/**
 * The reference client's class of an error the runtime answered with an HTTP status. Here
 * it is a view, not a separate kind: `error instanceof SandboxAgentError` holds for every
 * {@link RuntimeError} that carries an HTTP `status` (`AuthenticationError`,
 * `AgentInstallError`, `RuntimeHttpError`, a 502 `RuntimeUnavailableError`...), so code
 * written for the reference client reads `status` and `problem` as it did.
 */
export abstract class SandboxAgentError extends RuntimeError {
  /** The HTTP status the runtime answered with. */
  declare readonly status: number;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof RuntimeError && typeof value.status === "number";
  }
}
