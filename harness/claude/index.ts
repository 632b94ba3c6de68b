// Claude Code offline, for tests and the demo: the fake Anthropic Messages API, the adapter's
// set-up (sandbox dirs, environment, the sandbox-agent launcher) and its AcpServer connector.
// `startRuntime({ claude })` (../runtime.ts) and `startAcpServer({ claude })` (../acp-server.ts) use them.
export {
  CLAUDE_ADAPTER_ENTRY,
  CLAUDE_ADAPTER_VERSION,
  CLAUDE_AGENT_ID,
  claudeAdapterPids,
  claudeAgentEnv,
  claudeEnvVars,
  claudeTranscripts,
  killProcessGroup,
  makeClaudeSandbox,
  spawnClaudeAdapter,
  waitForTranscript,
  wipeClaudeSandbox,
  writeClaudeEnvFile,
  writeClaudeLauncher,
  type ClaudeAgentSetup,
  type ClaudeSandbox,
} from "./agent.js";
export { claudeAdapterConnector, type AdapterProcesses, type AgentConnector } from "./connector.js";
export {
  conversation,
  isClaudeCodeNote,
  replyFromPrompt,
  startFakeModel,
  type FakeModel,
  type ModelReply,
  type ModelRequest,
  type ModelScript,
  type RecordedBlock,
  type RecordedMessage,
  type StartFakeModelOptions,
} from "./fake-model.js";
