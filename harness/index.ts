// Test/demo harness: the real sandbox-agent runtime with the project's scripted ACP agent.
export {
  startRuntime,
  freePort,
  pidsInGroup,
  RuntimeStartError,
  type RuntimeHandle,
  type StartRuntimeOptions,
  type AgentConfigUpdate,
} from "./runtime.js";
export { SCRIPTED_AGENT_ID, type AgentLaunchMode } from "./agent-launcher.js";
export { isProcessAlive } from "./process-group.js";
export { REPO_ROOT, SANDBOX_AGENT_BIN, SCRIPTED_AGENT_ENTRY } from "./paths.js";
export {
  createScriptedAgent,
  SCRIPTED_ERROR_CODE,
  SCRIPTED_MODES,
  type ScriptedAgentOptions,
} from "./scripted-agent/agent.js";
export {
  AGENT_CONTEXT_PREFIX,
  REPLAY_HEADER,
  parseAgentContext,
  type AgentContextReport,
} from "./scripted-agent/context.js";
export {
  SCRIPTED_AGENT_CONFIG_ENV,
  ScriptedAgentConfigError,
  readScriptedAgentConfig,
  writeScriptedAgentConfig,
  type ScriptedAgentConfig,
} from "./scripted-agent/config.js";
export { scriptedAgentState } from "./scripted-agent/agent-state.js";
export { scriptedSessionFile } from "./scripted-agent/transcript.js";
export { RawAcp, type RawPostResult, type RawSse, type SseMessage } from "./raw-acp.js";
export { startAcpServer, type AcpServerHandle, type StartAcpServerOptions } from "./acp-server.js";
export { startPostgres, type PostgresServer, type StartPostgresOptions } from "./postgres-server.js";
export { startRedis, type RedisServer, type StartRedisOptions } from "./redis-server.js";
