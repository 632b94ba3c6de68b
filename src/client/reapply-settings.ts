import type { SessionConfigOption, SetSessionConfigOptionResponse } from "@agentclientprotocol/sdk";
import type { SessionRecord } from "../persist/types.js";
import {
  allowedValues,
  allowsValue,
  configOptionById,
  modeIds,
  withConfigValue,
  withCurrentMode,
  type SessionSettings,
  type UnavailableSetting,
} from "./settings.js";

// After a restoration (session/load, or session/new plus a replay) the agent reports its own
// idea of the session's mode and configuration, usually its defaults. What the user had set
// is brought back here: each difference is sent again, checked against what the agent
// answers, and whatever the agent no longer offers is reported, never dropped silently.

/** What re-applying settings needs from the session being restored. */
export interface SettingsTarget {
  /** The session's id, for messages. */
  readonly sessionId: string;
  /** The record as the agent now reports it. */
  record(): SessionRecord;
  /** Change the record (not yet saved). */
  update(patch: Partial<SessionRecord>): void;
  /** Send a request about the session on its new connection. */
  send<T>(method: string, params: Record<string, unknown>): Promise<T>;
}

/** What {@link reapplySettings} did. */
export interface ReappliedSettings {
  /** Settings sent again, as `"mode=code"`, `"model=smart"`... */
  reapplied: string[];
  /** Settings that could not be brought back. */
  unavailable: UnavailableSetting[];
}

/** Bring the session back to `desired`; never throws (a failure is an unavailable setting). */
export async function reapplySettings(target: SettingsTarget, desired: SessionSettings): Promise<ReappliedSettings> {
  const result: ReappliedSettings = { reapplied: [], unavailable: [] };
  const { modeId } = desired;
  const current = target.record();
  if (modeId !== undefined && current.modes && current.modes.currentModeId !== modeId) {
    const offered = modeIds(current.modes);
    if (!offered.includes(modeId)) {
      result.unavailable.push({ setting: "mode", configId: "mode", value: modeId, available: offered, reason: "the agent no longer offers it" });
    } else {
      try {
        await target.send("session/set_mode", { modeId });
        target.update({ modes: withCurrentMode(target.record().modes, modeId) });
        result.reapplied.push(`mode=${modeId}`);
      } catch (error) {
        result.unavailable.push({ setting: "mode", configId: "mode", value: modeId, available: offered, reason: reasonOf(error) });
      }
    }
  }
  for (const [configId, value] of Object.entries(desired.config)) {
    const option = configOptionById(target.record().configOptions, configId);
    const setting = option?.category ?? configId;
    if (!option) {
      result.unavailable.push({ setting, configId, value, available: [], reason: "the agent no longer has this option" });
      continue;
    }
    if (option.currentValue === value) continue;
    if (!allowsValue(option, value)) {
      result.unavailable.push({ setting, configId, value, available: allowedValues(option), reason: "the agent no longer offers it" });
      continue;
    }
    try {
      const response = await target.send<SetSessionConfigOptionResponse | null>("session/set_config_option", { configId, value });
      const options: SessionConfigOption[] | undefined = response?.configOptions ?? withConfigValue(target.record().configOptions, configId, value);
      target.update({ configOptions: options });
      // Verified against what the agent answers, when it answers with its options.
      const now = configOptionById(options, configId);
      if (now && now.currentValue !== value) {
        result.unavailable.push({ setting, configId, value, available: allowedValues(now), reason: `the agent kept "${String(now.currentValue)}"` });
      } else {
        result.reapplied.push(`${configId}=${String(value)}`);
      }
    } catch (error) {
      result.unavailable.push({ setting, configId, value, available: allowedValues(option), reason: reasonOf(error) });
    }
  }
  return result;
}

function reasonOf(error: unknown): string {
  return `the agent refused it: ${(error as Error)?.message ?? String(error)}`;
}
