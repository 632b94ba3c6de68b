import { DurableAgentError } from "../errors.js";
import type { SessionEvent } from "../persist/types.js";
import type { PermissionReply } from "./permission-reply.js";
import type { UnavailableSetting } from "./settings.js";

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
  /** The reply asked for. */
  readonly requestedReply: PermissionReply;
  /** The replies the request offers. */
  readonly availableReplies: PermissionReply[];

  constructor(permissionId: string, reply: PermissionReply, available: readonly PermissionReply[]) {
    super(
      "permission.unsupported_reply",
      `Permission request "${permissionId}" does not offer "${reply}" (offered: ${available.join(", ") || "none"})`,
    );
    this.permissionId = permissionId;
    this.requestedReply = reply;
    this.availableReplies = [...available];
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

/**
 * `dispose()` could not store every recorded event in time (the store is down, full or
 * stalled). Nothing is dropped silently: the events are here, to keep or store elsewhere
 * (storing one again later is safe: drivers ignore an event id they already hold).
 */
export class UnstoredEventsError extends DurableAgentError {
  /** How many events were not stored. */
  readonly pendingEvents: number;
  /** Unstored events per session id. */
  readonly bySession: Record<string, number>;
  /** The unstored events, oldest first per session. */
  readonly events: SessionEvent[];

  constructor(events: SessionEvent[], cause?: unknown) {
    const bySession: Record<string, number> = {};
    for (const event of events) bySession[event.sessionId] = (bySession[event.sessionId] ?? 0) + 1;
    const sessions = Object.keys(bySession);
    super(
      "client.unstored_events",
      `${events.length} recorded event(s) of ${sessions.length} session(s) (${sessions.slice(0, 5).map((id) => JSON.stringify(id)).join(", ")}${sessions.length > 5 ? ", ..." : ""}) were not stored${cause ? `: ${(cause as Error)?.message ?? String(cause)}` : ""}`,
      cause === undefined ? undefined : { cause },
    );
    this.pendingEvents = events.length;
    this.bySession = bySession;
    this.events = events;
  }

  /** As for every error, without the events themselves (they can be many). */
  override toJSON(): Record<string, unknown> {
    const { events: _events, ...rest } = super.toJSON();
    return rest;
  }
}

/** The agent offers no setting of this category (`"model"`, `"thought_level"`...) for the session. */
export class UnsupportedSessionCategoryError extends DurableAgentError {
  /** The session. */
  readonly sessionId: string;
  /** The category asked for. */
  readonly category: string;
  /** The categories the agent offers. */
  readonly availableCategories: string[];

  constructor(sessionId: string, category: string, availableCategories: string[]) {
    super(
      "session.unsupported_category",
      `The agent of session "${sessionId}" has no "${category}" setting (it offers: ${availableCategories.join(", ") || "none"})`,
    );
    this.sessionId = sessionId;
    this.category = category;
    this.availableCategories = availableCategories;
  }
}

/** A value the agent does not offer for a mode or configuration option. Nothing was sent. */
export class UnsupportedSessionValueError extends DurableAgentError {
  /** The session. */
  readonly sessionId: string;
  /** `"mode"`, or the option's category. */
  readonly category: string;
  /** The option id (`"mode"` for modes). */
  readonly configId: string;
  /** The value asked for. */
  readonly requestedValue: string;
  /** The values the agent offers. */
  readonly allowedValues: string[];

  constructor(sessionId: string, category: string, configId: string, requestedValue: string, allowedValues: string[]) {
    super(
      "session.unsupported_value",
      `The agent of session "${sessionId}" does not offer ${category} "${requestedValue}" (it offers: ${allowedValues.join(", ") || "none"})`,
    );
    this.sessionId = sessionId;
    this.category = category;
    this.configId = configId;
    this.requestedValue = requestedValue;
    this.allowedValues = allowedValues;
  }
}

/** No configuration option with this id for the session. Nothing was sent. */
export class UnsupportedSessionConfigOptionError extends DurableAgentError {
  /** The session. */
  readonly sessionId: string;
  /** The option id asked for. */
  readonly configId: string;
  /** The option ids the agent offers. */
  readonly availableConfigIds: string[];

  constructor(sessionId: string, configId: string, availableConfigIds: string[]) {
    super(
      "session.unsupported_config_option",
      `The agent of session "${sessionId}" has no config option "${configId}" (it has: ${availableConfigIds.join(", ") || "none"})`,
    );
    this.sessionId = sessionId;
    this.configId = configId;
    this.availableConfigIds = availableConfigIds;
  }
}

/**
 * After a restoration, settings the session had could not be brought back: the agent no
 * longer offers them, or refused them. The session goes on with what the agent has (its
 * record says so); this error, reported through `onError`, says what changed.
 */
export class SessionSettingUnavailableError extends DurableAgentError {
  /** The session. */
  readonly sessionId: string;
  /** Each setting that could not be re-applied. */
  readonly settings: UnavailableSetting[];

  constructor(sessionId: string, settings: UnavailableSetting[]) {
    super(
      "session.setting_unavailable",
      `Session "${sessionId}" was restored without ${settings.map((s) => `${s.setting} "${String(s.value)}" (${s.reason})`).join(", ")}`,
    );
    this.sessionId = sessionId;
    this.settings = settings;
  }
}
