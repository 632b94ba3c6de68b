// What the client needs to know of an agent to keep its session state outside the sandbox:
// which files hold one agent session, given the agent's session id and working directory.
// One small description per agent kind; see docs/agent-state.md for how to add one.

/** What an agent kind is told about the session whose files it names. */
export interface AgentStateContext {
  /** The agent's own session id (`SessionRecord.agentSessionId`). */
  agentSessionId: string;
  /** The session's working directory in the sandbox (`sessionInit.cwd`). */
  cwd: string;
}

/** One file of an agent session's state, as it lives in the sandbox. */
export interface AgentStateFile {
  /**
   * Its path in the sandbox: absolute, or relative to the runtime's home directory (how
   * sandbox-agent's file routes resolve a relative path), e.g. `.claude/projects/-work/<id>.jsonl`.
   */
  path: string;
  /**
   * The agent only ever appends to it (a JSONL transcript): a snapshot then stores only the
   * bytes added since the last one. Otherwise every change is stored as a whole new copy.
   */
  appendOnly: boolean;
}

/**
 * A description of where one kind of agent keeps a session's state. Register it for an agent
 * id with the `agentState.kinds` option of `SandboxAgent.connect`.
 */
export interface AgentStateKind {
  /** A short name for messages and stats, e.g. `"claude-code"`. */
  readonly name: string;
  /** The files holding the session `context` (those that do not exist yet are skipped). */
  files(context: AgentStateContext): AgentStateFile[];
  /**
   * How long to wait after a turn before copying, in ms (default 0): for agents that write
   * their files a moment after the turn's answer.
   */
  readonly settleMs?: number;
}

/**
 * Checks and returns an agent kind description (a typed helper for writing one).
 * @throws TypeError naming what is malformed.
 */
export function defineAgentStateKind(kind: AgentStateKind): AgentStateKind {
  if (typeof kind !== "object" || kind === null) throw new TypeError("an agent state kind must be an object");
  if (typeof kind.name !== "string" || kind.name.trim() === "") throw new TypeError("an agent state kind needs a non-empty name");
  if (typeof kind.files !== "function") throw new TypeError(`agent state kind "${kind.name}": files must be a function`);
  if (kind.settleMs !== undefined && (!Number.isFinite(kind.settleMs) || kind.settleMs < 0)) {
    throw new TypeError(`agent state kind "${kind.name}": settleMs must be a number of ms >= 0`);
  }
  return kind;
}

/** The files a kind names for `context`, checked: non-empty paths, each once. */
export function filesOf(kind: AgentStateKind, context: AgentStateContext): AgentStateFile[] {
  const files = kind.files(context);
  if (!Array.isArray(files)) throw new TypeError(`agent state kind "${kind.name}": files() must return an array`);
  const seen = new Set<string>();
  for (const file of files) {
    if (typeof file?.path !== "string" || file.path === "" || file.path.includes("\0")) {
      throw new TypeError(`agent state kind "${kind.name}": every file needs a non-empty path, got ${JSON.stringify(file?.path)}`);
    }
    if (seen.has(file.path)) throw new TypeError(`agent state kind "${kind.name}": file ${file.path} is named twice`);
    seen.add(file.path);
  }
  return files;
}
