import type { LoadSessionResponse, NewSessionResponse } from "@agentclientprotocol/sdk";
import type { AgentStateWriteBack } from "../agent-state/types.js";
import type { DurableAgentError } from "../errors.js";
import type { Replay } from "../history/replay.js";
import type { SessionRecord } from "../persist/types.js";
import type { AgentConnection } from "./agent-connection.js";
import type { AgentStateLink, AgentStateSubject } from "./agent-state-link.js";
import { AgentRequestError, SessionSettingUnavailableError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import { reapplySettings, type ReappliedSettings } from "./reapply-settings.js";
import { settingsOf, type SessionSettings } from "./settings.js";

// How a session is (re)attached to an agent session, in one place: `session/load` when the
// agent can; on a new sandbox, the stored agent state written back and `session/load` again;
// otherwise a fresh agent session whose first prompt carries a replay. After a load or a
// replay, the settings the session had (mode, model, config) are applied again.

/** How a session was last attached to an agent session. */
export interface SessionRestoration {
  /** `"new"`: a fresh session; `"load"`: restored with `session/load`; `"replay"`: a fresh agent session, history replayed with the next prompt. */
  method: "new" | "load" | "replay";
  /** When, epoch ms. */
  at: number;
  /** The connection it happened on. */
  connectionId: string;
  /** For `"replay"`: the replay sent with the first prompt after it, once sent. */
  replay?: Replay | null;
  /** For `"load"` and `"replay"`: the settings sent again, and those the agent no longer offers. */
  settings?: ReappliedSettings;
  /** For `"load"` into a sandbox that had lost the session: the agent state files written back first (docs/agent-state.md). */
  agentState?: AgentStateWriteBack;
}

/** What restoring a session reads and changes of it: the session's side of the work. */
export interface RestorationTarget {
  /** The app's session id. */
  readonly id: string;
  /** Resolved client options (the request deadline). */
  readonly options: ResolvedOptions;
  /** Agent state write-backs. */
  readonly agentState: AgentStateLink;
  /** The session's record; restoration replaces it as the agent answers. */
  record: SessionRecord;
  /** The session is now attached on `connection`; `pendingReplay`: its next prompt carries a replay. */
  attached(connection: AgentConnection, restoration: SessionRestoration, pendingReplay: boolean): void;
  /** The restoration as last recorded by {@link RestorationTarget.attached}. */
  readonly lastRestoration: SessionRestoration | undefined;
  /** The session, as agent state snapshots see it. */
  agentStateSubject(): AgentStateSubject;
  /** Store the record (fenced when the session is leased). */
  save(): Promise<void>;
  /** Report a background failure. */
  reportError(error: DurableAgentError): void;
}

/**
 * Attach `target` on `connection` again: `session/load`, then (a new sandbox) the stored agent
 * state written back and `session/load` again, then a fresh agent session with a replay.
 */
export async function restoreSession(target: RestorationTarget, connection: AgentConnection): Promise<void> {
  const desired = settingsOf(target.record);
  if (target.record.agentSessionId && connection.canLoadSession) {
    if (await tryLoad(target, connection, desired)) return;
    // The agent no longer knows the session (a new sandbox): put its stored state back and load again.
    const written = await target.agentState.writeBack(target.agentStateSubject());
    if (written && (await tryLoad(target, connection, desired, written))) return;
  }
  await startAgentSession(target, connection, "replay", desired);
}

/**
 * Start a fresh agent session for `target` (`session/new`): for a new session (`"new"`), or
 * as the fallback of a restoration (`"replay"`, with the settings to apply again).
 */
export async function startAgentSession(
  target: RestorationTarget,
  connection: AgentConnection,
  method: "new" | "replay",
  desired?: SessionSettings,
): Promise<void> {
  const sessionInit = target.record.sessionInit ?? { cwd: defaultCwd(), mcpServers: [] };
  const response = await connection.newSession<NewSessionResponse>(target.id, sessionInit, {
    timeoutMs: target.options.requestTimeoutMs,
  });
  connection.bind(target.id, response.sessionId);
  target.attached(connection, { method, at: Date.now(), connectionId: connection.connectionId }, method === "replay");
  target.record = {
    ...target.record,
    agentSessionId: response.sessionId,
    lastConnectionId: connection.connectionId,
    sessionInit,
    ...(response.modes !== undefined ? { modes: response.modes } : {}),
    ...(response.configOptions ? { configOptions: response.configOptions } : {}),
  };
  if (desired) await bringBack(target, connection, desired);
  await target.save();
}

/** `session/load` of the record's agent session; false when the agent answers with an error. */
async function tryLoad(
  target: RestorationTarget,
  connection: AgentConnection,
  desired: SessionSettings,
  agentState?: AgentStateWriteBack,
): Promise<boolean> {
  const { agentSessionId, sessionInit } = target.record;
  connection.bind(target.id, agentSessionId);
  try {
    const response = await connection.request<LoadSessionResponse | null>(
      "session/load",
      { sessionId: agentSessionId, cwd: sessionInit?.cwd ?? defaultCwd(), mcpServers: sessionInit?.mcpServers ?? [] },
      { timeoutMs: target.options.requestTimeoutMs },
    );
    const restoration: SessionRestoration = { method: "load", at: Date.now(), connectionId: connection.connectionId };
    if (agentState) restoration.agentState = agentState;
    target.attached(connection, restoration, false);
    target.record = {
      ...target.record,
      lastConnectionId: connection.connectionId,
      ...(response?.modes !== undefined ? { modes: response.modes } : {}),
      ...(response?.configOptions ? { configOptions: response.configOptions } : {}),
    };
    await bringBack(target, connection, desired);
    await target.save();
    return true;
  } catch (error) {
    connection.unbind(agentSessionId);
    // The agent no longer knows the session.
    if (!(error instanceof AgentRequestError)) throw error;
    return false;
  }
}

/**
 * Re-apply what the session had (mode, config options) on the agent session it was just
 * bound to; whatever cannot be brought back is reported through `onError` and told in
 * `lastRestoration.settings`, and the record keeps what the agent really has.
 */
async function bringBack(target: RestorationTarget, connection: AgentConnection, desired: SessionSettings): Promise<void> {
  const agentSessionId = target.record.agentSessionId;
  const outcome = await reapplySettings(
    {
      sessionId: target.id,
      record: () => target.record,
      update: (patch) => (target.record = { ...target.record, ...patch }),
      send: (method, params) => connection.request(method, { ...params, sessionId: agentSessionId }, { timeoutMs: target.options.requestTimeoutMs }),
    },
    desired,
  );
  if (target.lastRestoration) target.lastRestoration.settings = outcome;
  if (outcome.unavailable.length > 0) target.reportError(new SessionSettingUnavailableError(target.id, outcome.unavailable));
}

/** The working directory sent with `session/new` when the caller gives none. */
export function defaultCwd(): string {
  const proc = (globalThis as { process?: { cwd?: () => string } }).process;
  return typeof proc?.cwd === "function" ? proc.cwd() : "/";
}
