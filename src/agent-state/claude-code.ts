import { defineAgentStateKind, type AgentStateKind } from "./kind.js";

// Claude Code (through its ACP adapter, agent id `claude` on sandbox-agent) keeps each session
// as one append-only JSONL transcript, `<config dir>/projects/<cwd slug>/<session id>.jsonl`,
// which `session/load` reads. The config dir is `$CLAUDE_CONFIG_DIR`, else `~/.claude`
// (sandbox-agent 0.4.2 does not set the variable, so it is `.claude` under the runtime's home).

/** Options of {@link claudeCodeAgentState}. */
export interface ClaudeCodeAgentStateOptions {
  /**
   * Claude Code's config dir in the sandbox: `CLAUDE_CONFIG_DIR` when the agent runs with it,
   * absolute or relative to the runtime's home. Default `".claude"` (Claude Code's own default).
   */
  configDir?: string;
  /** Wait after a turn before copying, in ms (default 250): Claude Code appends the turn's last lines a moment after answering. */
  settleMs?: number;
}

/** The longest slug Claude Code uses as is; longer ones are cut and given a hash. */
const MAX_SLUG_LENGTH = 200;

/**
 * The directory name Claude Code gives a working directory under `projects/`: every character
 * other than an ASCII letter or digit becomes `-`. Past 200 characters the name is cut at 200
 * and `-<hash>` added, with the string hash Claude Code uses when it runs under Node (its ACP
 * adapter's); the native build hashes otherwise, so very long working directories may not match.
 */
export function claudeProjectSlug(cwd: string): string {
  const slug = cwd.replace(/[^a-zA-Z0-9]/g, "-");
  if (slug.length <= MAX_SLUG_LENGTH) return slug;
  let hash = 0;
  for (let i = 0; i < cwd.length; i++) hash = ((hash << 5) - hash + cwd.charCodeAt(i)) | 0;
  return `${slug.slice(0, MAX_SLUG_LENGTH)}-${Math.abs(hash).toString(36)}`;
}

/** Claude Code's session state: its JSONL transcript of the session (append-only). */
export function claudeCodeAgentState(options: ClaudeCodeAgentStateOptions = {}): AgentStateKind {
  const configDir = (options.configDir ?? ".claude").replace(/\/+$/, "");
  if (configDir === "") throw new TypeError("claudeCodeAgentState: configDir must not be empty");
  return defineAgentStateKind({
    name: "claude-code",
    settleMs: options.settleMs ?? 250,
    // An id that could name another path (a `/`, a leading dot) names no file.
    files: ({ agentSessionId, cwd }) =>
      /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(agentSessionId)
        ? [{ path: `${configDir}/projects/${claudeProjectSlug(cwd)}/${agentSessionId}.jsonl`, appendOnly: true }]
        : [],
  });
}
