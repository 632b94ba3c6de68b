import type { AnyMessage } from "@agentclientprotocol/sdk";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { RuntimeLostError, type ProblemDetails } from "./errors.js";
import { failureResponse, type TransportFailure } from "./failures.js";
import { HttpEndpoint, errorFromProblem, isConnectionRefused, readProblem, type HttpEndpointOptions } from "./http.js";
import type { MessageStream, RuntimeTransport, TransportChannel } from "./types.js";

/** Options of {@link SandboxAgentTransport}. */
export interface SandboxAgentTransportOptions extends HttpEndpointOptions {
  /** How long the `DELETE` sent by `close()` may run before it is abandoned, in ms (default 1000); `close()` never waits for it. */
  closeTimeoutMs?: number;
  /** Event-stream reconnects tried after a network error before the channel counts as lost (default 3). */
  maxStreamRetries?: number;
}

/**
 * The sandbox-agent runtime: ACP over `POST /v1/acp/{serverId}` (one JSON-RPC message
 * per request; a request's response is the HTTP body) and `GET /v1/acp/{serverId}` as
 * Server-Sent Events for everything the agent sends, resumed with `Last-Event-ID`.
 *
 * Observed on sandbox-agent 0.4: every message the agent sends, responses included, is
 * published on the event stream in the agent's order (a fresh stream replays the
 * instance's ring buffer from the start), so the stream is the one source of inbound
 * messages; a POST to an instance that no longer exists answers 400 or 404; an agent
 * process that dies is announced with an `_adapter/agent_exited` notification.
 */
export class SandboxAgentTransport implements RuntimeTransport {
  readonly kind = "sandbox-agent";
  /** The HTTP endpoint, shared by every channel. */
  readonly endpoint: HttpEndpoint;
  private readonly options: SandboxAgentTransportOptions;

  constructor(options: SandboxAgentTransportOptions) {
    this.endpoint = new HttpEndpoint(options);
    this.options = options;
  }

  get target(): string {
    return this.endpoint.baseUrl;
  }

  open(agent: string): TransportChannel {
    return new SandboxAgentChannel(this.endpoint, agent, this.options);
  }

  checkHealth(signal?: AbortSignal): Promise<void> {
    return this.endpoint.health(signal);
  }
}

/** How long a loss waits for running request POSTs to settle before failing them all, in ms. */
const LOST_SETTLE_MS = 1000;

/** Notification the runtime sends on the event stream when the agent process exits. */
const AGENT_EXITED = "_adapter/agent_exited";

function isRequest(message: AnyMessage): message is AnyMessage & { id: string | number | null; method: string } {
  return "method" in message && "id" in message && message.id !== undefined;
}

/**
 * Whether an answer says the ACP instance is gone: 404, a 400 asking for the `agent`
 * parameter of a first POST (the runtime restarted since the instance was created), or a
 * 502 stream error (its agent process died: the runtime can no longer write to it).
 */
function isMissingInstance(status: number, problem: ProblemDetails | undefined): boolean {
  const detail = problem?.detail ?? "";
  if (status === 404) return true;
  if (status === 400) return /agent/i.test(detail) && /first POST|query parameter/i.test(detail);
  return status === 502 && (problem?.type ?? "").endsWith(":stream_error");
}

class SandboxAgentChannel implements TransportChannel {
  readonly connectionId: string;
  readonly stream: MessageStream;
  readonly lost: Promise<RuntimeLostError>;

  private readonly path: string;
  private inbound!: ReadableStreamDefaultController<AnyMessage>;
  private resolveLost!: (error: RuntimeLostError) => void;
  /** Aborts the event stream (on loss or close). */
  private readonly streamAbort = new AbortController();
  /** Aborts POSTs still running (on close, or once a loss has had time to settle them). */
  private readonly postAbort = new AbortController();
  /** Request POSTs still running; a loss waits for them to tell delivered from undelivered. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private bootstrap: Promise<boolean> | undefined;
  private lastEventId: string | undefined;
  private state: "open" | "lost" | "closed" = "open";

  constructor(
    private readonly endpoint: HttpEndpoint,
    private readonly agent: string,
    private readonly options: SandboxAgentTransportOptions,
  ) {
    this.connectionId = `${agent}-${crypto.randomUUID()}`;
    this.path = `/v1/acp/${encodeURIComponent(this.connectionId)}`;
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    this.stream = {
      readable: new ReadableStream<AnyMessage>({ start: (controller) => void (this.inbound = controller) }),
      writable: new WritableStream<AnyMessage>({
        // The ACP connection writes one message at a time and waits for each write. A
        // request's POST lasts until its answer (a whole turn for a prompt), so a request
        // counts as written once sent; a notification or response (answered at once with
        // 202) counts once the runtime has it, so a `session/cancel` is in before the next
        // prompt is sent.
        write: (message) => {
          const post = this.send(message);
          return isRequest(message) ? undefined : post;
        },
      }),
    };
  }

  /** Start the POST of one message; the promise settles (never rejects) when it is done. */
  private send(message: AnyMessage): Promise<void> {
    if (this.state !== "open") {
      if (isRequest(message)) this.fail(message, { undelivered: true, error: this.lostError(true) });
      return Promise.resolve();
    }
    // The first POST creates the instance (it must name the agent); the rest wait for it.
    let post: Promise<void>;
    if (this.bootstrap === undefined) {
      let done!: (ok: boolean) => void;
      this.bootstrap = new Promise<boolean>((resolve) => (done = resolve));
      post = this.post(message, true).then((ok) => {
        done(ok);
        if (ok) void this.readEvents();
      });
    } else {
      const bootstrap = this.bootstrap;
      post = bootstrap.then((ok) => {
        if (ok) return this.post(message, false).then(() => undefined);
        if (isRequest(message)) this.fail(message, { undelivered: true, error: this.lostError(true) });
      });
    }
    if (isRequest(message)) {
      this.inFlight.add(post);
      void post.then(() => this.inFlight.delete(post));
    }
    return post;
  }

  /** POST one message; resolves true when the runtime accepted it. Never rejects. */
  private async post(message: AnyMessage, first: boolean): Promise<boolean> {
    let response: Response;
    try {
      response = await this.endpoint.send(this.path, {
        method: "POST",
        query: first ? { agent: this.agent } : undefined,
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(message),
        signal: this.postAbort.signal,
      });
    } catch (error) {
      if (this.state === "closed") return false;
      // Refused: nothing reached the runtime. Anything else may have reached the agent.
      const undelivered = isConnectionRefused(error);
      const lost = new RuntimeLostError(
        `Lost the runtime at ${this.endpoint.baseUrl} while sending ${describe(message)}: ${(error as Error).message}`,
        { undelivered, cause: error },
      );
      if (isRequest(message)) this.fail(message, { undelivered, error: lost });
      this.markLost(lost);
      return false;
    }
    if (!response.ok) {
      const problem = await readProblem(response);
      if (isMissingInstance(response.status, problem)) {
        const lost = new RuntimeLostError(
          `The runtime no longer has agent connection ${this.connectionId} (it restarted or the instance vanished)`,
          { undelivered: true, status: response.status, problem },
        );
        if (isRequest(message)) this.fail(message, { undelivered: true, error: lost });
        this.markLost(lost);
        return false;
      }
      const error = errorFromProblem(response.status, problem, `${describe(message)} to agent "${this.agent}"`, this.agent);
      // A refused request never reached the agent, except when the runtime timed out waiting for it.
      const undelivered = response.status !== 504 && response.status !== 408;
      if (isRequest(message)) this.fail(message, { undelivered, error });
      return false;
    }
    // The runtime also publishes every response on the event stream, after the updates the
    // agent sent before it, while this body can arrive ahead of them. Reading responses
    // from the stream alone keeps wire order, so a turn's updates are in before its end.
    await response.body?.cancel().catch(() => undefined);
    return true;
  }

  /** Answer a request that failed in transit with a synthetic JSON-RPC error response. */
  private fail(message: AnyMessage & { id: string | number | null; method: string }, failure: TransportFailure): void {
    this.deliver(failureResponse(message.id, message.method, failure));
  }

  private deliver(message: AnyMessage): void {
    if (this.state === "closed") return;
    try {
      this.inbound.enqueue(message);
    } catch {
      // The reader is gone: the ACP connection was closed.
    }
  }

  /** Read the agent's event stream, resuming with Last-Event-ID, until lost or closed. */
  private async readEvents(): Promise<void> {
    const maxRetries = this.options.maxStreamRetries ?? 3;
    let failures = 0;
    while (this.state === "open") {
      let response: Response;
      try {
        response = await this.endpoint.send(this.path, {
          method: "GET",
          headers: { accept: "text/event-stream", ...(this.lastEventId ? { "last-event-id": this.lastEventId } : {}) },
          signal: this.streamAbort.signal,
        });
      } catch (error) {
        if (this.state !== "open") return;
        if (isConnectionRefused(error) || ++failures > maxRetries) {
          this.markLost(new RuntimeLostError(`The runtime at ${this.endpoint.baseUrl} went away: ${(error as Error).message}`, { cause: error }));
          return;
        }
        await this.backoff(failures);
        continue;
      }
      if (!response.ok) {
        const problem = await readProblem(response);
        if (isMissingInstance(response.status, problem) || response.status === 401 || response.status === 403 || ++failures > maxRetries) {
          this.markLost(
            new RuntimeLostError(`The event stream of agent connection ${this.connectionId} is gone: HTTP ${response.status}${problem?.detail ? `: ${problem.detail}` : ""}`, {
              status: response.status,
              problem,
            }),
          );
          return;
        }
        await this.backoff(failures);
        continue;
      }
      failures = 0;
      try {
        const events = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
        for await (const event of events as unknown as AsyncIterable<{ id?: string; data: string }>) {
          if (event.id !== undefined) this.lastEventId = event.id;
          if (!event.data) continue;
          let message: AnyMessage;
          try {
            message = JSON.parse(event.data) as AnyMessage;
          } catch {
            continue;
          }
          if ("method" in message && message.method === AGENT_EXITED) {
            // The agent process is gone and the runtime will not answer its pending requests.
            // Its running POSTs will never be answered: no need to wait for them to settle.
            this.markLost(new RuntimeLostError(`The agent process of connection ${this.connectionId} exited`), { settle: false });
            return;
          }
          this.deliver(message);
        }
      } catch {
        if (this.state !== "open") return;
      }
      // The stream ended or broke: reconnect from the last event seen.
      if (this.state === "open" && ++failures > maxRetries) {
        this.markLost(new RuntimeLostError(`The event stream of agent connection ${this.connectionId} keeps breaking`));
        return;
      }
      await this.backoff(failures);
    }
  }

  private backoff(attempt: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 1000)));
  }

  private lostError(undelivered: boolean): RuntimeLostError {
    return new RuntimeLostError(`Agent connection ${this.connectionId} is ${this.state}`, { undelivered });
  }

  /**
   * Stop sending, stop reading, and announce the loss once the request POSTs still running
   * have settled (briefly bounded): each then fails with what is known of it (undelivered
   * when the runtime answered that the instance is gone) rather than all alike.
   */
  private markLost(error: RuntimeLostError, options: { settle?: boolean } = {}): void {
    if (this.state !== "open") return;
    this.state = "lost";
    this.streamAbort.abort(error);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const window = new Promise((resolve) => (timer = setTimeout(resolve, options.settle === false ? 0 : LOST_SETTLE_MS)));
    void Promise.race([Promise.allSettled([...this.inFlight]), window]).then(() => {
      clearTimeout(timer);
      this.postAbort.abort(error);
      this.closeInbound();
      this.resolveLost(error);
    });
  }

  private closeInbound(): void {
    try {
      this.inbound.close();
    } catch {
      // already closed
    }
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    const wasOpen = this.state === "open" && this.bootstrap !== undefined;
    this.state = "closed";
    this.streamAbort.abort();
    this.postAbort.abort();
    this.closeInbound();
    if (!wasOpen) return;
    // Tell the runtime to tear the instance down, without waiting: its DELETE may never
    // answer (sandbox-agent 0.4). The request is abandoned after closeTimeoutMs.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.closeTimeoutMs ?? 1000);
    void this.endpoint
      .send(this.path, { method: "DELETE", signal: controller.signal })
      .then((response) => response.body?.cancel())
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
  }
}

function describe(message: AnyMessage): string {
  return "method" in message ? `"${message.method}"` : "a response";
}

