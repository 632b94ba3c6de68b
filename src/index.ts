/**
 * durable-agent: a client SDK for remote coding-agent runtimes whose sessions survive
 * runtime loss. This entry point holds the client, the storage contract and its errors, and
 * the in-memory driver; each storage backend has its own subpath (`durable-agent/sqlite`,
 * ...), and what driver authors need is in `durable-agent/driver`.
 * @packageDocumentation
 */
export { DurableAgentError } from "./errors.js";
export { DURABLE_AGENT_ERROR_CODES, isDurableAgentErrorCode, type DurableAgentErrorCode } from "./error-codes.js";

// The storage contract, its errors, and the default (in-memory) driver.
export * from "./persist/types.js";
export {
  DriverClosedError,
  EventConflictError,
  InvalidCursorError,
  PersistError,
  PersistValidationError,
  UnsupportedCapabilityError,
  type EventConflictReason,
  type ValidationIssue,
} from "./persist/errors.js";
export { AgentStateOffsetError, MAX_AGENT_STATE_APPEND_BYTES, MAX_AGENT_STATE_PATH_LENGTH } from "./persist/agent-state.js";
export { hasAgentState } from "./persist/capabilities.js";
export { InMemorySessionPersistDriver, type InMemorySessionPersistDriverOptions } from "./persist/memory.js";
export { hasLeases } from "./persist/capabilities.js";
export {
  LeaseLostError,
  MAX_LEASE_HOLDER_LENGTH,
  MAX_LEASE_TTL_MS,
  type LeaseAcquireResult,
  type SessionLease,
  type SessionLeaseCapabilities,
} from "./persist/leases.js";

// The client.
export type { ClientStats } from "./client/connection-pool.js";
export {
  SandboxAgent,
  type DisposeOptions,
  type SessionCreateRequest,
  type SessionResumeOrCreateRequest,
  type SessionResumeOptions,
} from "./client/sandbox-agent.js";
export {
  Session,
  type PromptOptions,
  type SessionSendOptions,
  type SessionEventListener,
  type SessionRestoration,
} from "./client/session.js";
export type { ConnectionScope, SandboxAgentConnectOptions } from "./client/options.js";
export type {
  PermissionReply,
  PermissionRequestListener,
  SessionPermissionRequest,
  SessionPermissionRequestOption,
} from "./client/permissions.js";
export * from "./client/errors.js";
// Session leases (docs/leases.md): one client drives a session at a time; a follower watches read-only.
export { SessionLeasedError, SessionLeaseLostError } from "./client/lease-errors.js";
export { DEFAULT_LEASE_TTL_MS, type CallLeaseOption, type ConnectLeaseOption, type SessionLeaseOptions } from "./client/lease-options.js";
export type { FollowSessionOptions, SessionFollower } from "./client/follower.js";

// The runtime link: typed errors and the transport interface for other runtimes.
export * from "./transport/errors.js";
export type { MessageStream, RuntimeTransport, TransportChannel } from "./transport/types.js";
export type { EventStreamStats } from "./transport/sandbox-agent-events.js";
export type {
  AcpServerInfo,
  AcpServerListResponse,
  AgentInfo,
  AgentInstallRequest,
  AgentInstallResponse,
  AgentListResponse,
  AgentQueryOptions,
  HealthResponse,
} from "./transport/sandbox-agent-api.js";
export type { ConfigValue, UnavailableSetting } from "./client/settings.js";
export type { ReappliedSettings } from "./client/reapply-settings.js";
export { SandboxAgentTransport, type SandboxAgentTransportOptions } from "./transport/sandbox-agent.js";
export type { HttpEndpointOptions } from "./transport/http.js";

// Session history: the recorder's error, and the replay policy for those who build their own.
export { PersistenceFailedError, PersistenceTimeoutError } from "./history/recorder.js";
export { HistoryInputError } from "./history/errors.js";
export {
  buildReplay,
  loadReplay,
  DEFAULT_REPLAY_MAX_CHARS,
  DEFAULT_REPLAY_MAX_EVENTS,
  REPLAY_HEADER,
  type Replay,
  type ReplayCaps,
} from "./history/replay.js";
export { isUndeliveredResponse, undeliveredResponse } from "./protocol/envelopes.js";

// Agent state snapshots: an agent's own session files kept outside the sandbox (docs/agent-state.md).
export * from "./agent-state/index.js";

// Redaction before storing: the secret patterns, the envelope hook's types, the SessionStore decorator.
export * from "./redaction/index.js";
export { EVENTS_LOST_METHOD, eventsLostDetails, isEventsLostMarker, type EventsLostDetails } from "./protocol/events-lost.js";

// Reading recorded events without casts: session/update kinds and small readers.
export {
  SESSION_UPDATE_KINDS,
  sessionUpdateOf,
  isSessionUpdate,
  isAgentMessageChunk,
  isUserMessageChunk,
  isAgentThoughtChunk,
  isToolCall,
  isToolCallUpdate,
  isPlan,
  isAvailableCommandsUpdate,
  isCurrentModeUpdate,
  isConfigOptionUpdate,
  isSessionInfoUpdate,
  isUsageUpdate,
  type SessionUpdate,
  type SessionUpdateKind,
  type SessionUpdateOf,
  type SessionUpdateNotification,
  type SessionUpdateEvent,
  type AgentMessageChunk,
  type UserMessageChunk,
  type AgentThoughtChunk,
  type ToolCallStart,
  type ToolCallProgress,
  type PlanUpdate,
  type AvailableCommandsUpdate,
  type CurrentModeUpdate,
  type ConfigOptionUpdate,
  type SessionInfoUpdate,
  type UsageUpdate,
} from "./protocol/updates.js";
export { promptOf, textOf } from "./protocol/event-readers.js";
export { toPromptBlocks, type PromptInput } from "./client/prompt-input.js";

// ACP's standard remote transports (WebSocket, Streamable HTTP) and transport selection.
export { AcpWebSocketTransport, type AcpWebSocketTransportOptions } from "./transport/acp-websocket.js";
export { AcpHttpTransport, type AcpHttpTransportOptions } from "./transport/acp-http.js";
export { selectTransport, TRANSPORT_NAMES, type TransportName, type TransportSelection } from "./transport/select.js";

// Session lifecycle: retention (applyRetention) and fork, their markers and errors.
export * from "./lifecycle/index.js";
