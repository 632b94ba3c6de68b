// Agent state snapshots: the public names (docs/agent-state.md).
export { defineAgentStateKind, type AgentStateContext, type AgentStateFile, type AgentStateKind } from "./kind.js";
export { claudeCodeAgentState, claudeProjectSlug, type ClaudeCodeAgentStateOptions } from "./claude-code.js";
export {
  DEFAULT_AGENT_STATE_MAX_FILE_BYTES,
  DEFAULT_AGENT_STATE_MAX_SESSION_BYTES,
  type AgentStateOptions,
} from "./options.js";
export { AgentStateRestoreError, AgentStateSnapshotError, AgentStateTooLargeError } from "./errors.js";
export type { AgentStateSnapshotResult, AgentStateStats, AgentStateWriteBack } from "./types.js";
