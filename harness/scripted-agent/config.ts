import { readFileSync, renameSync, writeFileSync } from "node:fs";

/** Name of the environment variable, baked into the runtime's `mock-acp` launcher, that points at the agent's config file. */
export const SCRIPTED_AGENT_CONFIG_ENV = "SCRIPTED_AGENT_CONFIG";

/**
 * Configuration of the scripted agent, read from a JSON file each time an agent process starts,
 * so a test can change it between agent spawns without restarting the runtime.
 */
export interface ScriptedAgentConfig {
  /** Advertise `agentCapabilities.loadSession` and serve `session/load`. */
  loadSession: boolean;
  /** Directory where session transcripts are kept (one append-only JSONL file per session). */
  stateDir: string;
}

/** Thrown when the config file is missing, unreadable or malformed. */
export class ScriptedAgentConfigError extends Error {
  override readonly name = "ScriptedAgentConfigError";
}

/** Reads and validates a config file written by {@link writeScriptedAgentConfig}. */
export function readScriptedAgentConfig(path: string): ScriptedAgentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new ScriptedAgentConfigError(`cannot read scripted agent config ${path}: ${String(cause)}`);
  }
  if (typeof raw !== "object" || raw === null) {
    throw new ScriptedAgentConfigError(`scripted agent config ${path} is not an object`);
  }
  const { loadSession, stateDir } = raw as Record<string, unknown>;
  if (typeof loadSession !== "boolean" || typeof stateDir !== "string" || stateDir === "") {
    throw new ScriptedAgentConfigError(
      `scripted agent config ${path} needs { loadSession: boolean, stateDir: string }`,
    );
  }
  return { loadSession, stateDir };
}

/** Writes a config file atomically (temp file + rename), so a starting agent never reads half of it. */
export function writeScriptedAgentConfig(path: string, config: ScriptedAgentConfig): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, 2));
  renameSync(tmp, path);
}
