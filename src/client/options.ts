import { DEFAULT_REPLAY_MAX_CHARS, DEFAULT_REPLAY_MAX_EVENTS, resolveReplayCaps } from "../history/replay.js";
import type { SessionPersistDriver } from "../persist/types.js";
import type { TransportSelection } from "../transport/select.js";
import type { RedactHook } from "../redaction/envelope.js";
import type { DurableAgentError } from "../errors.js";
import { resolveAgentStateOptions, type AgentStateOptions, type ResolvedAgentStateOptions } from "../agent-state/options.js";
import type { RetentionScheduleOptions } from "../lifecycle/retention-scheduler.js";
import { checkOptionKeys } from "./check-options.js";
import { InvalidOptionsError } from "./errors.js";
import { resolveConnectLease, type ConnectLeaseOption, type ResolvedLeaseOptions } from "./lease-options.js";

/**
 * Options of `SandboxAgent.connect`. The reference client's names are kept. Where the runtime
 * is and how to reach it (`baseUrl`, `token`, `headers`, `fetch`, `transport`) are the
 * {@link TransportSelection} fields.
 */
export interface SandboxAgentConnectOptions extends TransportSelection {
  /** Where sessions and events are stored (default: a new `InMemorySessionPersistDriver`). */
  persist?: SessionPersistDriver;
  /** Most transcript entries replayed when a session is restored without `session/load` (default 50). */
  replayMaxEvents?: number;
  /** Most characters of replayed text, header included (default 12000). */
  replayMaxChars?: number;
  /** Aborts the health wait of `connect` (and nothing later). */
  signal?: AbortSignal;
  /** Do not wait for `GET /v1/health` before resolving `connect`. */
  skipHealthCheck?: boolean;
  /** How long `connect` waits for the runtime to be healthy, in ms (default 30000). */
  healthTimeoutMs?: number;
  /** @deprecated Reference client option; use `skipHealthCheck` and `healthTimeoutMs`. */
  waitForHealth?: boolean | { timeoutMs?: number };
  /** Deadline of every request other than prompts (initialize, session/new, session/load, ...), in ms (default 60000). */
  requestTimeoutMs?: number;
  /** Default deadline of a prompt turn, in ms (default: none; each prompt may set its own). */
  promptTimeoutMs?: number;
  /** Called with background failures nobody awaits (e.g. storing events failed after retries). */
  onError?: (error: DurableAgentError) => void;
  /**
   * Which sessions share a runtime connection (default `"session"`: each session has its
   * own). On sandbox-agent a connection is an ACP server instance with its own agent
   * process and its own event stream, whose replay buffer (the runtime keeps the last 1024
   * messages) then holds one session's messages only, so a gap in the stream under load can
   * always be refilled for turns of up to about a thousand messages. `"agent"` shares one
   * connection (and one agent process) among all sessions of an agent, as the reference
   * client does: lighter on the runtime, but under heavy concurrent streaming the runtime
   * may skip messages it can no longer send again; the client then records the loss and
   * fails the turns concerned with `EventsLostError` (see docs/runtimes.md).
   */
  connectionScope?: ConnectionScope;
  /**
   * Retention on a timer (default off): `applyRetention` with `policy` every `intervalMs`
   * (unref'd; stopped by `dispose`), never touching a session with a handle in this client;
   * failures go to `onError`. See docs/lifecycle.md.
   */
  retention?: RetentionScheduleOptions;
  /**
   * Session leases (default off): `true` or options make `createSession`, `resumeSession` and
   * `resumeOrCreateSession` take the session's lease, so one client drives a session at a
   * time and every write carries the lease's fencing token (see docs/leases.md). Calls may
   * override it with their own `lease` option. Needs a driver with leases
   * (`UnsupportedCapabilityError` otherwise).
   */
  lease?: ConnectLeaseOption;
  /**
   * Snapshots of each agent's own session state (Claude Code's transcript...), copied out of
   * the sandbox after every turn and written back before `session/load` when a new sandbox
   * lost them (see docs/agent-state.md). On by default where the runtime has a file API and
   * the driver the agent state capability; `false` turns it off.
   */
  agentState?: AgentStateOptions | false;
  /**
   * Rewrites every envelope before it is stored (e.g. `redactSecrets()`); listeners
   * (`onEvent`) still see the original. `jsonrpc`, `id` and `method` are always stored as
   * they were. When it throws, the event's content is withheld from the store and a
   * `RedactionFailedError` goes to `onError` (see docs/redaction.md). Agent state snapshots,
   * which redaction cannot reach, are off while it is set unless `agentState.unredacted` is true.
   */
  redact?: RedactHook;
}

/** Which sessions share a runtime connection: each its own (`"session"`), or all sessions of an agent (`"agent"`). */
export type ConnectionScope = "session" | "agent";

/** The options after defaults and checks. */
export interface ResolvedOptions {
  replayMaxEvents: number;
  replayMaxChars: number;
  healthTimeoutMs: number | undefined;
  requestTimeoutMs: number;
  promptTimeoutMs: number | undefined;
  connectionScope: ConnectionScope;
  lease: ResolvedLeaseOptions;
  agentState: ResolvedAgentStateOptions;
  redact: RedactHook | undefined;
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0) throw new InvalidOptionsError(`${name} must be a positive number of ms, got ${String(value)}`);
  return value;
}

function scope(value: ConnectionScope | undefined): ConnectionScope {
  if (value === undefined) return "session";
  if (value !== "session" && value !== "agent") throw new InvalidOptionsError(`connectionScope must be "session" or "agent", got ${JSON.stringify(value)}`);
  return value;
}

function redactHook(value: RedactHook | undefined): RedactHook | undefined {
  if (value !== undefined && typeof value !== "function") throw new InvalidOptionsError(`redact must be a function, got ${value === null ? "null" : typeof value}`);
  return value;
}

function agentStateOptions(value: AgentStateOptions | false | undefined, redacting: boolean): ResolvedAgentStateOptions {
  try {
    return resolveAgentStateOptions(value, { redacting });
  } catch (error) {
    throw new InvalidOptionsError((error as Error).message);
  }
}

/**
 * Apply defaults and validate; throws {@link InvalidOptionsError} naming the bad option, an
 * unknown (misspelled) one included.
 */
export function resolveOptions(options: SandboxAgentConnectOptions): ResolvedOptions {
  checkOptionKeys("SandboxAgent.connect", options, CONNECT_OPTION_NAMES);
  if (!options.transport && !options.baseUrl && !options.fetch) {
    throw new InvalidOptionsError("SandboxAgent.connect needs a baseUrl (or a transport)");
  }
  let caps;
  try {
    caps = resolveReplayCaps({
      maxEvents: options.replayMaxEvents ?? DEFAULT_REPLAY_MAX_EVENTS,
      maxChars: options.replayMaxChars ?? DEFAULT_REPLAY_MAX_CHARS,
    });
  } catch (error) {
    throw new InvalidOptionsError((error as Error).message.replace(/^replay maxEvents/, "replayMaxEvents").replace(/^replay maxChars/, "replayMaxChars"));
  }
  const legacy = options.waitForHealth;
  const skip = options.skipHealthCheck === true || legacy === false;
  const legacyTimeout = typeof legacy === "object" ? legacy.timeoutMs : undefined;
  return {
    replayMaxEvents: caps.maxEvents,
    replayMaxChars: caps.maxChars,
    healthTimeoutMs: skip ? undefined : (positive("healthTimeoutMs", options.healthTimeoutMs ?? legacyTimeout) ?? 30_000),
    requestTimeoutMs: positive("requestTimeoutMs", options.requestTimeoutMs) ?? 60_000,
    promptTimeoutMs: positive("promptTimeoutMs", options.promptTimeoutMs),
    connectionScope: scope(options.connectionScope),
    lease: resolveConnectLease(options.lease),
    agentState: agentStateOptions(options.agentState, options.redact !== undefined),
    redact: redactHook(options.redact),
  };
}

// Every option of `SandboxAgent.connect`. Typed over the interface's keys, so an option added
// there and not here (or the reverse) does not compile.
const CONNECT_OPTIONS: { readonly [K in keyof Required<SandboxAgentConnectOptions>]: true } = {
  baseUrl: true,
  token: true,
  headers: true,
  fetch: true,
  transport: true,
  persist: true,
  replayMaxEvents: true,
  replayMaxChars: true,
  signal: true,
  skipHealthCheck: true,
  healthTimeoutMs: true,
  waitForHealth: true,
  requestTimeoutMs: true,
  promptTimeoutMs: true,
  onError: true,
  connectionScope: true,
  retention: true,
  lease: true,
  agentState: true,
  redact: true,
};

/** The option names `SandboxAgent.connect` takes. */
export const CONNECT_OPTION_NAMES: readonly string[] = Object.keys(CONNECT_OPTIONS);
