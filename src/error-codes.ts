/**
 * Every `code` a {@link DurableAgentError} can carry, grouped by the layer that throws it.
 * A `switch (error.code)` over {@link DurableAgentErrorCode} gets completion and, with a
 * `never` default, exhaustiveness. A code is only ever added to this list, never renamed.
 */
export const DURABLE_AGENT_ERROR_CODES = [
  // The caller's own AbortSignal fired (AbortedError).
  "aborted",
  // The runtime link (RuntimeError and its subclasses).
  "runtime.unauthorized",
  "runtime.agent_install_failed",
  "runtime.not_found",
  "runtime.timeout",
  "runtime.unavailable",
  "runtime.lost",
  "runtime.events_lost",
  "runtime.http_error",
  // The agent answered a request with a JSON-RPC error (AgentRequestError).
  "agent.request_failed",
  // The client and its sessions.
  "client.disposed",
  "client.invalid_options",
  "client.unstored_events",
  "session.not_found",
  "session.exists",
  "session.destroyed",
  "session.busy",
  "session.unsupported_category",
  "session.unsupported_value",
  "session.unsupported_config_option",
  "session.setting_unavailable",
  "session.leased",
  "session.lease_lost",
  "permission.unsupported_reply",
  "permission.not_found",
  // Session history: the recorder and the replay builder.
  "recorder.persist_failed",
  "recorder.persist_timeout",
  "history.invalid_input",
  // Agent state snapshots: copying an agent's own session files out of the sandbox and back (src/agent-state/).
  "agent_state.snapshot_failed",
  "agent_state.too_large",
  "agent_state.restore_failed",
  // Redaction before storing (src/redaction/) and encryption at rest (durable-agent/encryption).
  "redaction.failed",
  "encryption.decryption_failed",
  "encryption.invalid_key",
  // Session lifecycle: retention and fork (src/lifecycle/).
  "lifecycle.invalid_input",
  "lifecycle.session_not_found",
  "lifecycle.session_exists",
  "lifecycle.index_out_of_range",
  "lifecycle.retention_failed",
  // Persistence drivers (PersistError and its subclasses).
  "persist.invalid_input",
  "persist.conflict",
  "persist.invalid_cursor",
  "persist.closed",
  "persist.unsupported",
  "persist.schema_too_new",
  "persist.lease_lost",
  "persist.agent_state_offset",
  "persist.indexeddb.blocked",
  "persist.indexeddb.version",
  "persist.indexeddb.schema",
  "persist.indexeddb.unavailable",
  "persist.indexeddb.failed",
  "persist.file.busy",
  "persist.rivet.state",
] as const;

/**
 * A stable, machine-readable kind of {@link DurableAgentError}, e.g. `"runtime.lost"`.
 *
 * @example
 * function retryable(error: DurableAgentError): boolean {
 *   switch (error.code) {
 *     case "runtime.lost":
 *     case "runtime.events_lost":
 *     case "runtime.unavailable":
 *       return true;
 *     default:
 *       return false;
 *   }
 * }
 */
export type DurableAgentErrorCode = (typeof DURABLE_AGENT_ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(DURABLE_AGENT_ERROR_CODES);

/** Whether `code` is one of the {@link DURABLE_AGENT_ERROR_CODES}, e.g. for a code read back from JSON logs. */
export function isDurableAgentErrorCode(code: unknown): code is DurableAgentErrorCode {
  return typeof code === "string" && KNOWN.has(code);
}
