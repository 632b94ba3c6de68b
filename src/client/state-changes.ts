import type { SessionConfigOption } from "@agentclientprotocol/sdk";

/** A change of session state the agent announced in a `session/update`. */
export interface StateChange {
  /** The new current mode (`current_mode_update`). */
  modeId?: string;
  /** The new configuration options (`config_option_update`). */
  configOptions?: SessionConfigOption[];
}

/** The state change `payload` announces for agent session `agentSessionId`, if it is one. */
export function stateChangeOf(payload: unknown, agentSessionId: string): StateChange | undefined {
  const p = payload as { method?: unknown; params?: { sessionId?: unknown; update?: Record<string, unknown> } } | null;
  if (p?.method !== "session/update" || p.params?.sessionId !== agentSessionId) return undefined;
  const update = p.params.update;
  if (update?.sessionUpdate === "current_mode_update" && typeof update.currentModeId === "string") return { modeId: update.currentModeId };
  if (update?.sessionUpdate === "config_option_update" && Array.isArray(update.configOptions)) {
    return { configOptions: update.configOptions as SessionConfigOption[] };
  }
  return undefined;
}
