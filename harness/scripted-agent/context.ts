/** Text a replay block starts with; the client prepends such a block when it restores a session by replay. */
export const REPLAY_HEADER = "[durable-agent replay]";

/** Prefix of the machine-readable line that ends every successful scripted reply. */
export const AGENT_CONTEXT_PREFIX = "[agent-context] ";

/** What the scripted agent reports, in the last chunk of each reply, about the context it received. */
export interface AgentContextReport {
  /** Session id the prompt was for. */
  sessionId: string;
  /** 1-based number of this turn in the session as the agent knows it (`priorTurns + 1`). */
  turn: number;
  /** Turns the agent remembers for this session before this one (this process's, plus any loaded by `session/load`). */
  priorTurns: number;
  /** Number of content blocks in the prompt. */
  blocks: number;
  /** Total characters of text in the prompt (text blocks and embedded text resources). */
  chars: number;
  /** Whether any text block starts with {@link REPLAY_HEADER}. */
  replay: boolean;
  /** Total characters of the text blocks that start with {@link REPLAY_HEADER} (0 when none). */
  replayChars: number;
  /** Whether this agent process attached the session through `session/load` rather than `session/new`. */
  loaded: boolean;
  /** Current mode id of the session, when the agent advertises modes. */
  mode: string | null;
  /** Current value of the `model` config option. */
  model: string;
  /** Current value of the `thought_level` config option. */
  thoughtLevel: string;
  /** Process id of the agent process that answered, to tell agent restarts apart. */
  pid: number;
}

/**
 * Finds the `[agent-context] {json}` line in a reply's text (the concatenated
 * `agent_message_chunk` texts of one turn) and parses it; `undefined` when there is none.
 */
export function parseAgentContext(replyText: string): AgentContextReport | undefined {
  const at = replyText.lastIndexOf(AGENT_CONTEXT_PREFIX);
  if (at < 0) return undefined;
  const line = replyText.slice(at + AGENT_CONTEXT_PREFIX.length).split("\n", 1)[0] ?? "";
  try {
    return JSON.parse(line) as AgentContextReport;
  } catch {
    return undefined;
  }
}
