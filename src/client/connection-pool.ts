import type { AgentStateStats } from "../agent-state/types.js";
import type { DurableAgentError } from "../errors.js";
import { RuntimeLostError, RuntimeUnavailableError } from "../transport/errors.js";
import type { EventStreamStats } from "../transport/sandbox-agent-events.js";
import type { RuntimeTransport } from "../transport/types.js";
import { AgentConnection, type AgentConnectionHooks } from "./agent-connection.js";
import type { ConnectionScope } from "./options.js";

/** Counters of the client's runtime event streams; see `SandboxAgent.stats`. */
export interface ClientStats {
  /** Event streams re-opened with `Last-Event-ID` (after a gap or a broken stream). */
  streamReconnects: number;
  /** Gaps in an event stream the runtime refilled from its buffer: nothing was lost. */
  gapsHealed: number;
  /** Gaps it could not refill. */
  gapsLost: number;
  /** Messages lost in those gaps. */
  eventsLost: number;
  /** Agent state snapshots: whether they run (and why not), their counts and bytes (docs/agent-state.md). */
  agentState: AgentStateStats;
}

/** The pool's share of {@link ClientStats}: the event streams' counters. */
export type StreamCounters = Omit<ClientStats, "agentState">;

function addStats(total: StreamCounters, stats: EventStreamStats | undefined): void {
  if (!stats) return;
  total.streamReconnects += stats.reconnects;
  total.gapsHealed += stats.gapsHealed;
  total.gapsLost += stats.gapsLost;
  total.eventsLost += stats.eventsLost;
}

/** What the pool needs from the client. */
export interface ConnectionPoolOptions {
  transport: RuntimeTransport;
  hooks: AgentConnectionHooks;
  scope: ConnectionScope;
  /** Deadline of `initialize`, in ms. */
  requestTimeoutMs: number;
}

/**
 * The client's open runtime connections: one per session or one per agent
 * (`connectionScope`), opened on demand, replaced once lost, closed on release.
 */
export class ConnectionPool {
  private readonly connections = new Map<string, Promise<AgentConnection>>();
  /** The pool key of each open connection. */
  private readonly keys = new Map<AgentConnection, string>();
  /** Stream counters of connections that ended. */
  private readonly retired: StreamCounters = { streamReconnects: 0, gapsHealed: 0, gapsLost: 0, eventsLost: 0 };

  constructor(private readonly options: ConnectionPoolOptions) {}

  /** The key of the connection a session uses: its own, or its agent's. */
  private key(agent: string, sessionId: string): string {
    return this.options.scope === "session" ? `session:${sessionId}` : `agent:${agent}`;
  }

  /** An open connection for `sessionId` of `agent`, opening one (and `initialize`) when needed. */
  connectionFor(agent: string, sessionId: string): Promise<AgentConnection> {
    const key = this.key(agent, sessionId);
    const existing = this.connections.get(key);
    if (existing) {
      return existing.then((connection) => {
        if (connection.isOpen) return connection;
        this.forget(connection);
        return this.connectionFor(agent, sessionId);
      });
    }
    const { transport, hooks, requestTimeoutMs } = this.options;
    const opening = AgentConnection.open(transport, agent, hooks, { timeoutMs: requestTimeoutMs }).then(
      (connection) => {
        this.keys.set(connection, key);
        return connection;
      },
      (error: unknown) => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
        // A channel that died while bootstrapping means the runtime is not there.
        if (error instanceof RuntimeLostError) {
          throw new RuntimeUnavailableError(`Cannot open a connection to agent "${agent}" at ${transport.target}: ${error.message}`, {
            cause: error,
          });
        }
        throw error;
      },
    );
    this.connections.set(key, opening);
    return opening;
  }

  /** Drop a connection that ended, keeping its stream counters. */
  forget(connection: AgentConnection): void {
    const key = this.keys.get(connection);
    if (key === undefined) return;
    this.keys.delete(connection);
    addStats(this.retired, connection.streamStats);
    void this.connections.get(key)?.then(
      (current) => current === connection && this.connections.delete(key),
      () => undefined,
    );
  }

  /** Close a session's own connection (with scope `"session"`): it no longer needs one. */
  release(agent: string, sessionId: string): void {
    if (this.options.scope !== "session") return;
    const pending = this.connections.get(this.key(agent, sessionId));
    if (!pending) return;
    void pending.then(
      (connection) => {
        this.forget(connection);
        return connection.close();
      },
      () => undefined,
    );
  }

  /** Close every connection with `reason` (pending requests settle with it). Never waits on the runtime. */
  async closeAll(reason: DurableAgentError): Promise<void> {
    const closing = [...this.connections.values()].map((pending) =>
      pending.then((connection) => connection.close(reason)).catch(() => undefined),
    );
    this.connections.clear();
    await Promise.all(closing);
    for (const connection of [...this.keys.keys()]) this.forget(connection);
  }

  /** Stream counters of every connection so far. */
  stats(): StreamCounters {
    const total = { ...this.retired };
    for (const connection of this.keys.keys()) addStats(total, connection.streamStats);
    return total;
  }
}
