import type { SessionNotification, SessionUpdate } from "@agentclientprotocol/sdk";
import type { SessionEvent } from "../persist/types.js";

// Typed access to the agent's `session/update` notifications, the bulk of a session's events:
// an app reads a message chunk, a tool call or a mode change without casting the raw payload.

export type { SessionUpdate };

/** The kind of a {@link SessionUpdate}: its `sessionUpdate` field, e.g. `"agent_message_chunk"`. */
export type SessionUpdateKind = SessionUpdate["sessionUpdate"];

/** The {@link SessionUpdate} of kind `K`, e.g. `SessionUpdateOf<"tool_call">`. */
export type SessionUpdateOf<K extends SessionUpdateKind> = Extract<SessionUpdate, { sessionUpdate: K }>;

/** A streamed piece of the agent's reply. */
export type AgentMessageChunk = SessionUpdateOf<"agent_message_chunk">;
/** A streamed piece of a user message (sent by agents replaying history, e.g. on `session/load`). */
export type UserMessageChunk = SessionUpdateOf<"user_message_chunk">;
/** A streamed piece of the agent's reasoning. */
export type AgentThoughtChunk = SessionUpdateOf<"agent_thought_chunk">;
/** A tool call the agent started. */
export type ToolCallStart = SessionUpdateOf<"tool_call">;
/** Progress or the result of a tool call (fields absent are unchanged). */
export type ToolCallProgress = SessionUpdateOf<"tool_call_update">;
/** The agent's plan, entries in full. */
export type PlanUpdate = SessionUpdateOf<"plan">;
/** The slash commands the agent offers. */
export type AvailableCommandsUpdate = SessionUpdateOf<"available_commands_update">;
/** The agent switched the session's mode. */
export type CurrentModeUpdate = SessionUpdateOf<"current_mode_update">;
/** The session's configuration options changed (model, thought level, ...), all of them. */
export type ConfigOptionUpdate = SessionUpdateOf<"config_option_update">;
/** The session's title or update time changed. */
export type SessionInfoUpdate = SessionUpdateOf<"session_info_update">;
/** Context window use (and cost) of the session. */
export type UsageUpdate = SessionUpdateOf<"usage_update">;

/** A `session/update` notification carrying an update of kind `K`. */
export interface SessionUpdateNotification<K extends SessionUpdateKind = SessionUpdateKind> {
  /** Always `"2.0"`. */
  jsonrpc: "2.0";
  /** Always `"session/update"`. */
  method: "session/update";
  /** The agent's session id and the update. */
  params: Omit<SessionNotification, "update"> & { update: SessionUpdateOf<K> };
}

/** A {@link SessionEvent} whose payload is a `session/update` of kind `K`: what the guards below narrow to. */
export interface SessionUpdateEvent<K extends SessionUpdateKind = SessionUpdateKind> extends SessionEvent {
  /** The notification, typed. */
  payload: SessionUpdateNotification<K>;
}

type Fields = Record<string, unknown>;

const isString = (value: unknown): boolean => typeof value === "string";
const isNumber = (value: unknown): boolean => typeof value === "number";
const isBlock = (value: unknown): boolean =>
  typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";

// The fields ACP requires of each kind: an update that lacks one is not presented as typed.
const REQUIRED: { readonly [K in SessionUpdateKind]: (update: Fields) => boolean } = {
  user_message_chunk: (u) => isBlock(u.content),
  agent_message_chunk: (u) => isBlock(u.content),
  agent_thought_chunk: (u) => isBlock(u.content),
  tool_call: (u) => isString(u.toolCallId) && isString(u.title),
  tool_call_update: (u) => isString(u.toolCallId),
  plan: (u) => Array.isArray(u.entries),
  available_commands_update: (u) => Array.isArray(u.availableCommands),
  current_mode_update: (u) => isString(u.currentModeId),
  config_option_update: (u) => Array.isArray(u.configOptions),
  session_info_update: () => true,
  usage_update: (u) => isNumber(u.used) && isNumber(u.size),
  notice: (u) => isString(u.severity) && isString(u.title),
  compaction_update: (u) => isString(u.compactionId) && isString(u.status),
  compaction_summary_chunk: (u) => isString(u.compactionId) && isBlock(u.content),
};

/** Every {@link SessionUpdateKind} of ACP's stable protocol. */
export const SESSION_UPDATE_KINDS: readonly SessionUpdateKind[] = Object.keys(REQUIRED) as SessionUpdateKind[];

/**
 * The update an event carries when it is an agent's `session/update` notification of a kind
 * ACP defines, with that kind's required fields present; `undefined` for every other event
 * (requests, responses, other notifications, kinds this version does not know). Switch on
 * `sessionUpdate` for the fields of each kind.
 *
 * @example
 * session.onEvent((event) => {
 *   const update = sessionUpdateOf(event);
 *   switch (update?.sessionUpdate) {
 *     case "tool_call": console.log("tool:", update.title); break;
 *     case "usage_update": console.log(`context ${update.used}/${update.size}`); break;
 *   }
 * });
 */
export function sessionUpdateOf(event: Pick<SessionEvent, "payload">): SessionUpdate | undefined {
  const payload: unknown = event.payload;
  if (typeof payload !== "object" || payload === null) return undefined;
  const { method, id, params } = payload as { method?: unknown; id?: unknown; params?: unknown };
  if (method !== "session/update" || id !== undefined) return undefined;
  const update = (params as { update?: unknown } | null | undefined)?.update;
  if (typeof update !== "object" || update === null) return undefined;
  const kind = (update as { sessionUpdate?: unknown }).sessionUpdate;
  if (typeof kind !== "string" || !Object.hasOwn(REQUIRED, kind)) return undefined;
  return REQUIRED[kind as SessionUpdateKind](update as Fields) ? (update as SessionUpdate) : undefined;
}

/**
 * Whether `event` is a `session/update` of kind `kind`; narrows the event, so
 * `event.payload.params.update` has that kind's fields.
 *
 * @example
 * if (isSessionUpdate(event, "current_mode_update")) showMode(event.payload.params.update.currentModeId);
 */
export function isSessionUpdate<K extends SessionUpdateKind>(event: SessionEvent, kind: K): event is SessionUpdateEvent<K> {
  return sessionUpdateOf(event)?.sessionUpdate === kind;
}

/** A guard for one kind, for the shortcuts below. */
function guardFor<K extends SessionUpdateKind>(kind: K): (event: SessionEvent) => event is SessionUpdateEvent<K> {
  return (event): event is SessionUpdateEvent<K> => isSessionUpdate(event, kind);
}

/** Whether `event` is a piece of the agent's reply (`agent_message_chunk`); read its text with `textOf`. */
export const isAgentMessageChunk = guardFor("agent_message_chunk");

/** Whether `event` is a piece of a user message (`user_message_chunk`), as agents send when replaying history. */
export const isUserMessageChunk = guardFor("user_message_chunk");

/** Whether `event` is a piece of the agent's reasoning (`agent_thought_chunk`). */
export const isAgentThoughtChunk = guardFor("agent_thought_chunk");

/** Whether `event` starts a tool call (`tool_call`). */
export const isToolCall = guardFor("tool_call");

/** Whether `event` updates a tool call (`tool_call_update`): status, content, result. */
export const isToolCallUpdate = guardFor("tool_call_update");

/** Whether `event` carries the agent's plan (`plan`). */
export const isPlan = guardFor("plan");

/** Whether `event` lists the agent's commands (`available_commands_update`). */
export const isAvailableCommandsUpdate = guardFor("available_commands_update");

/** Whether `event` says the session's mode changed (`current_mode_update`). */
export const isCurrentModeUpdate = guardFor("current_mode_update");

/** Whether `event` carries the session's configuration options (`config_option_update`). */
export const isConfigOptionUpdate = guardFor("config_option_update");

/** Whether `event` changes the session's title or update time (`session_info_update`). */
export const isSessionInfoUpdate = guardFor("session_info_update");

/** Whether `event` reports context window use (`usage_update`). */
export const isUsageUpdate = guardFor("usage_update");
