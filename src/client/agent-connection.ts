import {
  client as acpClient,
  RequestError,
  type AnyMessage,
  type ClientConnection,
  type InitializeResponse,
  type RequestPermissionRequest,
  type RequestPermissionResponse,
} from "@agentclientprotocol/sdk";
import type { SessionEventSender } from "../persist/types.js";
import { DurableAgentError } from "../errors.js";
import { AbortedError, RuntimeError, RuntimeLostError, RuntimeTimeoutError } from "../transport/errors.js";
import { requestOf } from "../protocol/envelopes.js";
import { isEventsLostMarker } from "../protocol/events-lost.js";
import { failureResponse, TRANSPORT_FAILURE_CODE, typedErrorOf } from "../transport/failures.js";
import { nextMacrotask } from "../transport/macrotask.js";
import type { EventStreamStats } from "../transport/sandbox-agent-events.js";
import type { RuntimeTransport, TransportChannel } from "../transport/types.js";
import { AgentRequestError } from "./errors.js";

/** What the connection tells its owner. */
export interface AgentConnectionHooks {
  /** An envelope of a known session crossed the wire (called synchronously, in wire order). */
  observe(sessionId: string, sender: SessionEventSender, envelope: AnyMessage, connectionId: string): void;
  /** The agent asks a session's user for permission; resolve with the answer. */
  requestPermission(sessionId: string, request: RequestPermissionRequest, signal: AbortSignal): Promise<RequestPermissionResponse>;
  /** The connection was lost (not on a deliberate close). */
  lost(connection: AgentConnection, error: RuntimeLostError): void;
}

/** Per-call options of {@link AgentConnection.request}. */
export interface RequestOptions {
  /** Abort the wait (the request is cancelled on the agent side where it supports it). */
  signal?: AbortSignal;
  /** Give up after this many ms with a {@link RuntimeTimeoutError}. */
  timeoutMs?: number;
}

type JsonRpcId = string | number | null;

const SESSION_UPDATE = "session/update";

/** Replaced by the package's version at build time (tsup `define`); `"dev"` when run from source. */
declare const __DURABLE_AGENT_VERSION__: string | undefined;

const CLIENT_INFO = {
  name: "durable-agent",
  version: typeof __DURABLE_AGENT_VERSION__ === "string" ? __DURABLE_AGENT_VERSION__ : "dev",
};

/** How long a loss waits for the channel's last messages to be observed before it is announced, in ms. */
const LOSS_DRAIN_MS = 1000;

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One ACP connection to one agent over a transport channel: `initialize`, typed
 * requests, and attribution of every envelope to the local session it belongs to, so
 * the recorder sees each one exactly once and in wire order.
 */
export class AgentConnection {
  /** Agent id on the runtime. */
  readonly agent: string;
  /** The transport channel's id; recorded as `connectionId`. */
  readonly connectionId: string;
  /** What the agent answered to `initialize`. */
  initializeResponse: InitializeResponse | undefined;

  private readonly channel: TransportChannel;
  private readonly acp: ClientConnection;
  private readonly hooks: AgentConnectionHooks;
  private closedWith: Error | undefined;
  /** Set as soon as the channel reports its loss (the connection ends once its last messages are observed). */
  private channelLost: RuntimeLostError | undefined;
  /** What the ACP connection reads, and its controller. */
  private readonly sdkInbound: ReadableStream<AnyMessage>;
  private readonly sdkController: ReadableStreamDefaultController<AnyMessage>;
  /** Resolves once the channel closed its readable and every message was observed. */
  private readonly inboundEnded: Promise<void>;

  private readonly localByAgentSession = new Map<string, string>();
  /** Requests sent for a session and not answered yet. */
  private readonly sessionOfOutgoing = new Map<JsonRpcId, { sessionId: string; method: string }>();
  private readonly sessionOfIncoming = new Map<JsonRpcId, string>();
  private newSessionOwner: string | undefined;
  private newSessionLock: Promise<unknown> = Promise.resolve();

  private constructor(agent: string, channel: TransportChannel, hooks: AgentConnectionHooks) {
    this.agent = agent;
    this.channel = channel;
    this.connectionId = channel.connectionId;
    this.hooks = hooks;

    const app = acpClient({ name: "durable-agent" })
      .onRequest("session/request_permission", ({ params, signal }) => {
        const sessionId = this.localByAgentSession.get(params.sessionId);
        if (sessionId === undefined) return { outcome: { outcome: "cancelled" } };
        return this.hooks.requestPermission(sessionId, params, signal);
      })
      // Updates are observed on the wire (below); the SDK only needs to accept them.
      .onNotification("session/update", () => undefined);

    const wire = channel.stream;
    const writer = wire.writable.getWriter();
    // Inbound messages are read from the channel by this connection's own loop, which the
    // ACP connection cannot cancel: every message the channel hands on is observed (and
    // recorded), also the last ones before a loss. The ACP connection reads what it needs
    // from a stream of its own.
    let sdkInbound!: ReadableStreamDefaultController<AnyMessage>;
    this.sdkInbound = new ReadableStream<AnyMessage>({ start: (controller) => void (sdkInbound = controller) });
    this.sdkController = sdkInbound;
    this.inboundEnded = this.readInbound(wire.readable);
    const tapped = {
      writable: new WritableStream<AnyMessage>({
        write: (message) => {
          this.observeOutgoing(message);
          return writer.write(message);
        },
        close: () => writer.close(),
        abort: (reason) => writer.abort(reason),
      }),
      readable: this.sdkInbound,
    };
    this.acp = app.connect(tapped);
    // Announce a loss once every message the channel handed on before it was observed, and
    // the ACP connection had a macrotask to settle the requests those messages answered (a
    // request the transport failed with a typed error, say, gets that error, not the loss).
    void channel.lost.then((error) => {
      this.channelLost = error;
      return withTimeout(this.inboundEnded, LOSS_DRAIN_MS)
        .then(() => new Promise<void>((resolve) => nextMacrotask(resolve)))
        .then(() => this.markLost(error));
    });
  }

  /** Read the channel's messages until it closes its readable; resolves then. Never rejects. */
  private async readInbound(readable: ReadableStream<AnyMessage>): Promise<void> {
    const reader = readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        let forward = true;
        try {
          forward = this.observeIncoming(value);
        } catch {
          // Observing one message failed (a bug, not the agent's): the connection goes on.
        }
        if (!forward) continue;
        try {
          this.sdkController.enqueue(value);
        } catch {
          // The ACP connection is closed; keep observing until the channel ends.
        }
      }
    } catch {
      // The channel's readable failed: nothing more will come.
    }
  }

  /** End the connection as lost: pending requests reject with `error`, the owner is told. Idempotent. */
  private markLost(error: RuntimeLostError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.recordUnanswered(error);
    this.acp.close(error);
    this.closeSdkInbound();
    this.hooks.lost(this, error);
  }

  /** Open a channel to `agent` and run `initialize`; throws a typed error when the runtime refuses. */
  static async open(transport: RuntimeTransport, agent: string, hooks: AgentConnectionHooks, options: RequestOptions = {}): Promise<AgentConnection> {
    const connection = new AgentConnection(agent, transport.open(agent), hooks);
    try {
      connection.initializeResponse = await connection.request<InitializeResponse>(
        "initialize",
        {
          protocolVersion: 1,
          clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
          clientInfo: CLIENT_INFO,
        },
        options,
      );
    } catch (error) {
      await connection.close();
      throw error;
    }
    return connection;
  }

  /** Counters of the channel's event stream, when its transport has one. */
  get streamStats(): EventStreamStats | undefined {
    return this.channel.stats;
  }

  /** Whether the agent can restore a session with `session/load`. */
  get canLoadSession(): boolean {
    return this.initializeResponse?.agentCapabilities?.loadSession === true;
  }

  /** Whether the connection can still carry requests. */
  get isOpen(): boolean {
    return this.closedWith === undefined && this.channelLost === undefined;
  }

  /** Throw when the connection can no longer carry anything: what is sent now would not reach the agent. */
  private assertOpen(): void {
    if (this.closedWith) throw this.closedWith;
    if (this.channelLost) {
      throw new RuntimeLostError(`Agent connection ${this.connectionId} is lost: ${this.channelLost.message}`, { undelivered: true, cause: this.channelLost });
    }
  }

  /** Why the connection ended, when it has. */
  get closeReason(): Error | undefined {
    return this.closedWith;
  }

  /** Route the agent's messages about `agentSessionId` to the local session `sessionId`. */
  bind(sessionId: string, agentSessionId: string): void {
    this.localByAgentSession.set(agentSessionId, sessionId);
  }

  /** The local sessions this connection routes messages to. */
  boundSessionIds(): string[] {
    return [...new Set(this.localByAgentSession.values())];
  }

  /** Stop routing messages of `agentSessionId`. */
  unbind(agentSessionId: string): void {
    this.localByAgentSession.delete(agentSessionId);
  }

  /**
   * Send `session/new` on behalf of local session `sessionId`. Calls are serialized, so
   * the request (which names no session yet) is attributed to the right one.
   */
  newSession<T>(sessionId: string, params: unknown, options: RequestOptions = {}): Promise<T> {
    const run = this.newSessionLock.then(async () => {
      this.newSessionOwner = sessionId;
      try {
        return await this.request<T>("session/new", params, options);
      } finally {
        this.newSessionOwner = undefined;
      }
    });
    this.newSessionLock = run.catch(() => undefined);
    return run;
  }

  /** Send a request and map every failure to a typed error. */
  async request<T>(method: string, params: unknown, options: RequestOptions = {}): Promise<T> {
    this.assertOpen();
    const signals: AbortSignal[] = [];
    if (options.signal) signals.push(options.signal);
    const timeout = options.timeoutMs !== undefined ? AbortSignal.timeout(options.timeoutMs) : undefined;
    if (timeout) signals.push(timeout);
    const cancellationSignal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    try {
      return (await this.acp.agent.request(method, params, { cancellationSignal, stopWaitingOnCancel: true })) as T;
    } catch (error) {
      if (timeout?.aborted && !options.signal?.aborted) {
        throw new RuntimeTimeoutError(`"${method}" got no answer within ${options.timeoutMs} ms`, { cause: error });
      }
      if (options.signal?.aborted) throw new AbortedError(`"${method}" was aborted`, { cause: options.signal.reason });
      throw this.mapError(method, error);
    }
  }

  /** Send a notification; failures on a lost connection throw the loss. */
  async notify(method: string, params: unknown): Promise<void> {
    this.assertOpen();
    try {
      await this.acp.agent.notify(method, params);
    } catch (error) {
      throw this.mapError(method, error);
    }
  }

  private mapError(method: string, error: unknown): Error {
    if (error instanceof RequestError) {
      const typed = typedErrorOf(error.data);
      // The request's own failure can arrive before the channel's loss is announced; either
      // way the connection is done, so the next call re-bootstraps instead of reusing it.
      // Other pending requests fail with a loss that does not claim they were undelivered.
      if (typed instanceof RuntimeLostError) {
        this.markLost(new RuntimeLostError(typed.message, { status: typed.status, problem: typed.problem, cause: typed }));
      }
      if (typed) return typed;
      return new AgentRequestError(method, error.code, error.message, error.data);
    }
    if (this.closedWith) return this.closedWith;
    return error instanceof Error ? error : new Error(String(error));
  }

  /** Close deliberately: pending requests reject with `reason`. Never hangs. */
  async close(reason: Error = new RuntimeLostError(`Agent connection ${this.connectionId} closed`)): Promise<void> {
    if (!this.closedWith) {
      this.closedWith = reason;
      if (reason instanceof DurableAgentError) this.recordUnanswered(reason);
      this.acp.close(reason);
      this.closeSdkInbound();
    }
    await this.channel.close();
  }

  /**
   * The connection ends with requests unanswered: record for each a failure response (sender
   * "client", like the transport's own), so the history says the request got no answer and
   * why, whatever the transport could tell.
   */
  private recordUnanswered(error: DurableAgentError): void {
    const failure = { undelivered: false, error: error instanceof RuntimeError ? error : new RuntimeLostError(error.message, { cause: error }) };
    for (const [id, { sessionId, method }] of this.sessionOfOutgoing) {
      this.hooks.observe(sessionId, "client", failureResponse(id, method, failure), this.connectionId);
    }
    this.sessionOfOutgoing.clear();
  }

  private closeSdkInbound(): void {
    try {
      this.sdkController.close();
    } catch {
      // already closed
    }
  }

  private observeOutgoing(message: AnyMessage): void {
    let sessionId: string | undefined;
    if ("method" in message) {
      sessionId = message.method === "session/new" ? this.newSessionOwner : this.sessionOfParams(message.params);
      const request = requestOf(message);
      if (sessionId !== undefined && request) this.sessionOfOutgoing.set(request.id, { sessionId, method: request.method });
    } else {
      sessionId = this.sessionOfIncoming.get(message.id);
      this.sessionOfIncoming.delete(message.id);
    }
    if (sessionId !== undefined) this.hooks.observe(sessionId, "client", message, this.connectionId);
  }

  /** Observe one inbound message; returns whether the ACP connection needs it too. */
  private observeIncoming(message: AnyMessage): boolean {
    let sessionId: string | undefined;
    let sender: SessionEventSender = "agent";
    if ("method" in message) {
      if (isEventsLostMarker(message)) {
        // Written by the channel where the stream lost messages: they may have been any
        // bound session's, so each of them records it.
        for (const local of new Set(this.localByAgentSession.values())) this.hooks.observe(local, "client", message, this.connectionId);
        return false;
      }
      sessionId = this.sessionOfParams(message.params);
      if (sessionId !== undefined && "id" in message && message.id !== undefined) this.sessionOfIncoming.set(message.id, sessionId);
    } else {
      const outgoing = this.sessionOfOutgoing.get(message.id);
      sessionId = outgoing?.sessionId;
      this.sessionOfOutgoing.delete(message.id);
      // Route the new agent session's messages at once: an agent may send updates right after
      // answering session/new, before the caller has the answer and binds the session itself.
      const created = outgoing?.method === "session/new" && "result" in message ? (message.result as { sessionId?: unknown } | null)?.sessionId : undefined;
      if (sessionId !== undefined && typeof created === "string") this.localByAgentSession.set(created, sessionId);
      // Synthetic failure responses are written by this client's transport, not the agent.
      if ("error" in message && message.error?.code === TRANSPORT_FAILURE_CODE) sender = "client";
    }
    if (sessionId !== undefined) this.hooks.observe(sessionId, sender, message, this.connectionId);
    // Session updates are fully handled by observing them: the ACP connection would only
    // validate them to call a handler that does nothing.
    return !("method" in message && message.method === SESSION_UPDATE && !("id" in message && message.id !== undefined));
  }

  private sessionOfParams(params: unknown): string | undefined {
    const agentSessionId = (params as { sessionId?: unknown } | null | undefined)?.sessionId;
    return typeof agentSessionId === "string" ? this.localByAgentSession.get(agentSessionId) : undefined;
  }
}
