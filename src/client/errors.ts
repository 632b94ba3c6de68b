import { DurableAgentError } from "../errors.js";

/** No session with this id is stored. */
export class SessionNotFoundError extends DurableAgentError {
  /** The id asked for. */
  readonly sessionId: string;

  constructor(sessionId: string) {
    super("session.not_found", `No session "${sessionId}" in the store`);
    this.sessionId = sessionId;
  }
}

/** `createSession` was given an id that is already stored; use `resumeSession` or `resumeOrCreateSession`. */
export class SessionExistsError extends DurableAgentError {
  /** The id asked for. */
  readonly sessionId: string;

  constructor(sessionId: string) {
    super("session.exists", `Session "${sessionId}" already exists; resume it instead`);
    this.sessionId = sessionId;
  }
}

/** The session was destroyed with `destroySession` and cannot be used. */
export class SessionDestroyedError extends DurableAgentError {
  /** The destroyed session's id. */
  readonly sessionId: string;

  constructor(sessionId: string) {
    super("session.destroyed", `Session "${sessionId}" was destroyed`);
    this.sessionId = sessionId;
  }
}

/** A prompt is already running in this session; ACP allows one turn at a time. Wait for it or `cancel()` it. */
export class SessionBusyError extends DurableAgentError {
  /** The busy session's id. */
  readonly sessionId: string;

  constructor(sessionId: string) {
    super("session.busy", `Session "${sessionId}" is already running a prompt`);
    this.sessionId = sessionId;
  }
}

/** The client was disposed; pending operations settle with this error. */
export class DisposedError extends DurableAgentError {
  constructor() {
    super("client.disposed", "The SandboxAgent client was disposed");
  }
}

/** The agent answered a request with a JSON-RPC error. */
export class AgentRequestError extends DurableAgentError {
  /** The ACP method that failed, e.g. `"session/prompt"`. */
  readonly method: string;
  /** The JSON-RPC error code. */
  readonly rpcCode: number;
  /** The JSON-RPC error data, if any. */
  readonly data: unknown;

  constructor(method: string, rpcCode: number, message: string, data: unknown) {
    super("agent.request_failed", `The agent failed "${method}" (JSON-RPC ${rpcCode}): ${message}`);
    this.method = method;
    this.rpcCode = rpcCode;
    this.data = data;
  }
}

/** A reply the permission request does not offer. */
export class UnsupportedPermissionReplyError extends DurableAgentError {
  /** The permission request's id. */
  readonly permissionId: string;

  constructor(permissionId: string, reply: string, available: readonly string[]) {
    super(
      "permission.unsupported_reply",
      `Permission request "${permissionId}" does not offer "${reply}" (offered: ${available.join(", ") || "none"})`,
    );
    this.permissionId = permissionId;
  }
}

/** No pending permission request has this id (already answered, cancelled, or unknown). */
export class PermissionRequestNotFoundError extends DurableAgentError {
  /** The id asked for. */
  readonly permissionId: string;

  constructor(permissionId: string) {
    super("permission.not_found", `No pending permission request "${permissionId}"`);
    this.permissionId = permissionId;
  }
}

/** Options given to `SandboxAgent.connect` or a session method were invalid. */
export class InvalidOptionsError extends DurableAgentError {
  constructor(message: string) {
    super("client.invalid_options", message);
  }
}
