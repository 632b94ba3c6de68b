import { claudeCodeAgentState } from "./claude-code.js";
import { defineAgentStateKind, type AgentStateKind } from "./kind.js";

/**
 * The `agentState` option of `SandboxAgent.connect`: snapshots of each agent's own session
 * state (e.g. Claude Code's transcript), copied out of the sandbox after every turn and
 * written back when a new sandbox does not know the session. On by default where it can work:
 * a runtime with a file API (sandbox-agent) and a driver with the agent state capability.
 * `false` turns it off. See docs/agent-state.md.
 */
export interface AgentStateOptions {
  /**
   * Agent kinds by agent id, added to (or replacing) the built-in ones: `claude` is Claude
   * Code with its default config dir (`~/.claude`). Agents without a kind are not snapshotted.
   */
  kinds?: Record<string, AgentStateKind>;
  /** The largest file copied, in bytes (default 64 MiB). */
  maxFileBytes?: number;
  /** The most bytes kept per session, all its files together (default 128 MiB). */
  maxSessionBytes?: number;
  /**
   * Take snapshots although the client's `redact` hook is set. Redaction rewrites recorded
   * envelopes; it does not reach the agent's own files, which hold every secret the agent saw,
   * so with `redact` set snapshots are off unless this is true (pair it with
   * `encryptedPersistDriver`, which encrypts snapshots). Default false.
   */
  unredacted?: boolean;
}

/** The options after defaults and checks. */
export interface ResolvedAgentStateOptions {
  /** False when snapshots are off: turned off, or left off because `redact` is set. */
  enabled: boolean;
  /** Why they are off, when they are. */
  disabledReason: string | undefined;
  kinds: ReadonlyMap<string, AgentStateKind>;
  maxFileBytes: number;
  maxSessionBytes: number;
}

/** Default of {@link AgentStateOptions.maxFileBytes}: 64 MiB. */
export const DEFAULT_AGENT_STATE_MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Default of {@link AgentStateOptions.maxSessionBytes}: 128 MiB. */
export const DEFAULT_AGENT_STATE_MAX_SESSION_BYTES = 128 * 1024 * 1024;

const OPTION_NAMES = new Set(["kinds", "maxFileBytes", "maxSessionBytes", "unredacted"]);

/** Why snapshots are off when the client redacts and `unredacted` is not set. */
export const REDACTION_OFF_REASON =
  "off because redact is set: agent state files cannot be redacted (agentState: { unredacted: true } stores them as they are; encryptedPersistDriver encrypts them)";

/** What else of the client's options decides whether snapshots run. */
export interface AgentStateContext {
  /** The client has a `redact` hook. */
  redacting?: boolean;
}

/** The agent kinds known without configuration. */
export function builtInAgentStateKinds(): Map<string, AgentStateKind> {
  return new Map([["claude", claudeCodeAgentState()]]);
}

function bytes(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`agentState.${name} must be a positive whole number of bytes, got ${String(value)}`);
  return value;
}

/** Defaults and checks. @throws TypeError naming the bad field. */
export function resolveAgentStateOptions(options: AgentStateOptions | boolean | undefined, context: AgentStateContext = {}): ResolvedAgentStateOptions {
  const kinds = builtInAgentStateKinds();
  if (options === false) {
    return {
      enabled: false,
      disabledReason: "switched off (agentState: false)",
      kinds,
      maxFileBytes: DEFAULT_AGENT_STATE_MAX_FILE_BYTES,
      maxSessionBytes: DEFAULT_AGENT_STATE_MAX_SESSION_BYTES,
    };
  }
  const given: AgentStateOptions = options === undefined || options === true ? {} : options;
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new TypeError(`agentState must be false or an object, got ${JSON.stringify(given)}`);
  }
  for (const key of Object.keys(given)) if (!OPTION_NAMES.has(key)) throw new TypeError(`agentState has no option "${key}" (it takes ${[...OPTION_NAMES].join(", ")})`);
  if (given.kinds !== undefined) {
    if (typeof given.kinds !== "object" || given.kinds === null) throw new TypeError("agentState.kinds must be an object of agent id -> kind");
    for (const [agent, kind] of Object.entries(given.kinds)) {
      try {
        kinds.set(agent, defineAgentStateKind(kind));
      } catch (error) {
        throw new TypeError(`agentState.kinds["${agent}"]: ${(error as Error).message}`);
      }
    }
  }
  const maxFileBytes = bytes("maxFileBytes", given.maxFileBytes, DEFAULT_AGENT_STATE_MAX_FILE_BYTES);
  const maxSessionBytes = bytes("maxSessionBytes", given.maxSessionBytes, DEFAULT_AGENT_STATE_MAX_SESSION_BYTES);
  if (given.unredacted !== undefined && typeof given.unredacted !== "boolean") throw new TypeError(`agentState.unredacted must be a boolean, got ${JSON.stringify(given.unredacted)}`);
  const offForRedaction = context.redacting === true && given.unredacted !== true;
  return { enabled: !offForRedaction, disabledReason: offForRedaction ? REDACTION_OFF_REASON : undefined, kinds, maxFileBytes, maxSessionBytes };
}
