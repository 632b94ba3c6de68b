import type { AnyMessage } from "@agentclientprotocol/sdk";
import { requestOf, type RequestHead } from "../protocol/envelopes.js";
import { eventsLostMarker } from "../protocol/events-lost.js";
import { EventsLostError, RuntimeLostError, type ProblemDetails } from "./errors.js";
import { checkRuntimeBaseUrl } from "./base-url.js";
import { ChannelBase } from "./channel-base.js";
import type { TransportFailure } from "./failures.js";
import { HttpEndpoint, errorFromProblem, isConnectionRefused, readProblem, type HttpEndpointOptions } from "./http.js";
import { SandboxAgentEventStream, type EventStreamStats, type StreamGap } from "./sandbox-agent-events.js";
import type { RuntimeTransport, TransportChannel } from "./types.js";

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
  /** What channels need; the credentials stay in the endpoint, out of sight. */
  readonly #channelOptions: ChannelOptions;

  /** @throws TypeError when `baseUrl` is not an absolute URL, or points into the runtime's API (`.../v1`). */
  constructor(options: SandboxAgentTransportOptions) {
    checkRuntimeBaseUrl(options.baseUrl);
    this.endpoint = new HttpEndpoint(options);
    this.#channelOptions = { closeTimeoutMs: options.closeTimeoutMs, maxStreamRetries: options.maxStreamRetries };
  }

  get target(): string {
    return this.endpoint.baseUrl;
  }

  open(agent: string): TransportChannel {
    return new SandboxAgentChannel(this.endpoint, agent, this.#channelOptions);
  }

  checkHealth(signal?: AbortSignal): Promise<void> {
    return this.endpoint.health(signal);
  }
}

/** The transport options a channel uses. */
type ChannelOptions = Pick<SandboxAgentTransportOptions, "closeTimeoutMs" | "maxStreamRetries">;

/** How long a loss waits for running request POSTs to settle before failing them all, in ms. */
const LOST_SETTLE_MS = 1000;

/** Notification the runtime sends on the event stream when the agent process exits. */
const AGENT_EXITED = "_adapter/agent_exited";


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

class SandboxAgentChannel extends ChannelBase {
  private readonly path: string;
  private readonly events: SandboxAgentEventStream;
  /** One controller per running POST (a shared signal would collect one listener per request). */
  private readonly posts = new Set<AbortController>();
  /** Request POSTs still running; a loss waits for them to tell delivered from undelivered. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /**
   * Ids of the requests whose POST is running, each with whether its answer already came on
   * the event stream: the runtime can publish the answer there and die before the POST's own
   * response is read. Such a POST's failure must not answer the request a second time.
   */
  private readonly posting = new Map<string | number | null, boolean>();
  private bootstrap: Promise<boolean> | undefined;

  constructor(
    private readonly endpoint: HttpEndpoint,
    private readonly agent: string,
    private readonly options: ChannelOptions,
  ) {
    // The ACP connection writes one message at a time and waits for each write. A
    // request's POST lasts until its answer (a whole turn for a prompt), so a request
    // counts as written once sent; a notification or response (answered at once with
    // 202) counts once the runtime has it, so a `session/cancel` is in before the next
    // prompt is sent.
    super(`${agent}-${crypto.randomUUID()}`, (message) => {
      const post = this.send(message);
      return requestOf(message) ? undefined : post;
    });
    this.path = `/v1/acp/${encodeURIComponent(this.connectionId)}`;
    this.events = new SandboxAgentEventStream(
      endpoint,
      this.path,
      this.connectionId,
      isMissingInstance,
      {
        message: (message) => this.received(message),
        gap: (gap) => this.eventsLost(gap),
        lost: (error) => this.markLost(error),
      },
      { maxRetries: options.maxStreamRetries },
    );
  }

  /** Counters of the event stream (reconnects, gaps healed and lost). */
  override get stats(): EventStreamStats {
    return this.events.stats;
  }

  /** Start the POST of one message; the promise settles (never rejects) when it is done. */
  private send(message: AnyMessage): Promise<void> {
    const request = requestOf(message);
    if (this.state !== "open") {
      if (request) this.fail(request, { undelivered: true, error: this.lostError(true) });
      return Promise.resolve();
    }
    // The first POST creates the instance (it must name the agent); the rest wait for it.
    let post: Promise<void>;
    if (this.bootstrap === undefined) {
      let done!: (ok: boolean) => void;
      this.bootstrap = new Promise<boolean>((resolve) => (done = resolve));
      post = this.post(message, true).then((ok) => {
        done(ok);
        if (ok && this.state === "open") this.events.start();
      });
    } else {
      const bootstrap = this.bootstrap;
      post = bootstrap.then((ok) => {
        if (ok) return this.post(message, false).then(() => undefined);
        if (request) this.fail(request, { undelivered: true, error: this.lostError(true) });
      });
    }
    if (request) {
      this.inFlight.add(post);
      void post.then(() => this.inFlight.delete(post));
    }
    return post;
  }

  /** POST one message; resolves true when the runtime accepted it. Never rejects. */
  private async post(message: AnyMessage, first: boolean): Promise<boolean> {
    const abort = new AbortController();
    this.posts.add(abort);
    const request = requestOf(message);
    if (request) this.posting.set(request.id, false);
    try {
      return await this.postWith(message, first, abort.signal);
    } finally {
      this.posts.delete(abort);
      if (request) this.posting.delete(request.id);
    }
  }

  /** Answer a request whose POST failed, unless its answer already came on the event stream. */
  private failPosted(request: RequestHead, failure: TransportFailure): void {
    if (this.posting.get(request.id) === true) return;
    this.fail(request, failure);
  }

  private async postWith(message: AnyMessage, first: boolean, signal: AbortSignal): Promise<boolean> {
    const request = requestOf(message);
    let response: Response;
    try {
      response = await this.endpoint.send(this.path, {
        method: "POST",
        query: first ? { agent: this.agent } : undefined,
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(message),
        signal,
      });
    } catch (error) {
      // Aborted by this channel (closed, or lost): the loss settles the request.
      if (signal.aborted || this.state === "closed") return false;
      // Refused: nothing reached the runtime. Anything else may have reached the agent.
      const undelivered = isConnectionRefused(error);
      const lost = new RuntimeLostError(
        `Lost the runtime at ${this.endpoint.baseUrl} while sending ${describe(message)}: ${(error as Error).message}`,
        { undelivered, cause: error },
      );
      if (request) this.failPosted(request, { undelivered, error: lost });
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
        if (request) this.failPosted(request, { undelivered: true, error: lost });
        this.markLost(lost);
        return false;
      }
      const error = errorFromProblem(response.status, problem, `${describe(message)} to agent "${this.agent}"`, this.agent);
      // A refused request never reached the agent, except when the runtime timed out waiting for it.
      const undelivered = response.status !== 504 && response.status !== 408;
      if (request) this.failPosted(request, { undelivered, error });
      return false;
    }
    // The runtime also publishes every response on the event stream, after the updates the
    // agent sent before it, while this body can arrive ahead of them. Reading responses
    // from the stream alone keeps wire order, so a turn's updates are in before its end.
    await response.body?.cancel().catch(() => undefined);
    return true;
  }

  /** A message read from the event stream. */
  private received(message: AnyMessage): void {
    if (this.state !== "open") return;
    if (!("method" in message) && "id" in message && this.posting.has(message.id)) this.posting.set(message.id, true);
    if ("method" in message && message.method === AGENT_EXITED) {
      // The agent process is gone and the runtime will not answer its pending requests.
      // Its running POSTs will never be answered: no need to wait for them to settle.
      this.markLost(new RuntimeLostError(`The agent process of connection ${this.connectionId} exited`), { settle: false });
      return;
    }
    this.deliver(message);
  }

  /**
   * The stream skipped messages the runtime no longer holds. The marker goes in-band, where
   * the messages went missing, so the sessions on this connection record it in order; then
   * the connection ends, since any request's answer may have been among them.
   */
  private eventsLost(gap: StreamGap): void {
    if (this.state !== "open") return;
    const count = gap.toId - gap.fromId + 1;
    const reason = `the runtime's event stream skipped ${count} message(s) (ids ${gap.fromId}..${gap.toId}) and no longer holds them`;
    this.deliver(eventsLostMarker({ connectionId: this.connectionId, fromStreamId: gap.fromId, toStreamId: gap.toId, count, reason }) as AnyMessage);
    this.markLost(new EventsLostError(`Agent connection ${this.connectionId} lost events: ${reason}`, { fromStreamId: gap.fromId, toStreamId: gap.toId }), {
      settle: false,
    });
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
    this.events.stop();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const window = new Promise((resolve) => (timer = setTimeout(resolve, options.settle === false ? 0 : LOST_SETTLE_MS)));
    void Promise.race([Promise.allSettled([...this.inFlight]), window]).then(() => {
      clearTimeout(timer);
      this.abortPosts();
      this.announceLost(error);
    });
  }

  private abortPosts(): void {
    for (const post of this.posts) post.abort();
    this.posts.clear();
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    const wasOpen = this.state === "open" && this.bootstrap !== undefined;
    this.state = "closed";
    this.events.stop();
    this.abortPosts();
    this.endInbound();
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

