import type { SessionConfigOption, SessionConfigSelectOption, SessionModeState } from "@agentclientprotocol/sdk";
import type { SessionRecord } from "../persist/types.js";

// What a user set on a session (its mode and configuration option values), as the stored
// record holds it, and the small facts about ACP's config options the session API and the
// restoration need. Pure functions: no I/O.

/** A configuration option's value: a select's value id, or a boolean. */
export type ConfigValue = string | boolean;

/** The settings a session has: what restoration must bring back. */
export interface SessionSettings {
  /** The current mode, when the agent offers modes. */
  modeId?: string;
  /** Current value of each configuration option, by option id. */
  config: Record<string, ConfigValue>;
}

/** A setting the agent no longer offers after a restoration (or refused to take back). */
export interface UnavailableSetting {
  /** `"mode"`, or the config option's category (`"model"`, `"thought_level"`...) or id. */
  setting: string;
  /** The config option id (`"mode"` for the mode). */
  configId: string;
  /** The value the session had. */
  value: ConfigValue;
  /** What the agent offers now (empty when the option itself is gone). */
  available: string[];
  /** Why it could not be re-applied. */
  reason: string;
}

/** The settings the record holds. */
export function settingsOf(record: SessionRecord): SessionSettings {
  const config: Record<string, ConfigValue> = {};
  for (const option of record.configOptions ?? []) {
    // Modes have their own state and method; a mode config option follows them.
    if (option.category === "mode" && record.modes) continue;
    config[option.id] = option.currentValue;
  }
  const modeId = record.modes?.currentModeId;
  return modeId ? { modeId, config } : { config };
}

/** The option with this id. */
export function configOptionById(options: readonly SessionConfigOption[] | undefined, id: string): SessionConfigOption | undefined {
  return options?.find((option) => option.id === id);
}

/** The first option of this category (`"model"`, `"thought_level"`, `"mode"`...). */
export function configOptionByCategory(options: readonly SessionConfigOption[] | undefined, category: string): SessionConfigOption | undefined {
  return options?.find((option) => option.category === category);
}

/** The categories the options have, each once. */
export function configCategories(options: readonly SessionConfigOption[] | undefined): string[] {
  return [...new Set((options ?? []).map((option) => option.category).filter((c): c is string => typeof c === "string"))];
}

/** The values a select option allows (groups flattened); `["true", "false"]` for a boolean. */
export function allowedValues(option: SessionConfigOption): string[] {
  if (option.type === "boolean") return ["true", "false"];
  const out: string[] = [];
  for (const entry of option.options as (SessionConfigSelectOption | { options: SessionConfigSelectOption[] })[]) {
    if ("options" in entry && Array.isArray(entry.options)) for (const inner of entry.options) out.push(inner.value);
    else out.push((entry as SessionConfigSelectOption).value);
  }
  return out;
}

/** Whether `option` takes `value`. */
export function allowsValue(option: SessionConfigOption, value: ConfigValue): boolean {
  if (option.type === "boolean") return typeof value === "boolean";
  return typeof value === "string" && allowedValues(option).includes(value);
}

/** The mode ids the agent offers. */
export function modeIds(modes: SessionModeState | null | undefined): string[] {
  return modes?.availableModes?.map((mode) => mode.id) ?? [];
}

/** `modes` with `modeId` current. */
export function withCurrentMode(modes: SessionModeState | null | undefined, modeId: string): SessionModeState | null | undefined {
  return modes ? { ...modes, currentModeId: modeId } : modes;
}

/** `options` with option `id` set to `value`. */
export function withConfigValue(options: readonly SessionConfigOption[] | undefined, id: string, value: ConfigValue): SessionConfigOption[] | undefined {
  return options?.map((option) => (option.id === id ? ({ ...option, currentValue: value } as SessionConfigOption) : option));
}
