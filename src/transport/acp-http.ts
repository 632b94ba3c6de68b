import { redactCredentials } from "./url.js";
import type { AnyMessage } from "@agentclientprotocol/sdk";
import { AcpStreamChannel, headerRecord, yieldToEventLoop, type AcpFailureClassifier } from "./acp-channel.js";
import { RuntimeLostError } from "./errors.js";
import type { TransportFailure } from "./failures.js";
import { HttpEndpoint, describeNetworkError, errorFromProblem, errorFromResponse, isConnectionRefused, type HttpEndpointOptions } from "./http.js";
import type { RuntimeTransport, TransportChannel } from "./types.js";

/** Options of {@link AcpHttpTransport}. */
export interface AcpHttpTransportOptions extends Omit<HttpEndpointOptions, "baseUrl"> {
  /** The agent's ACP Streamable HTTP endpoint, e.g. `http://127.0.0.1:8080/acp` (one URL for POST, GET and DELETE). */
  url: string;
  /** How long `close()` waits for the server's `DELETE`, in ms (default 1000). */
  closeTimeoutMs?: number;
}

/**
 * HTTP statuses after which the SDK closes the whole connection: the credentials were
 * refused (401/403) or the server does not know the connection (404/410, e.g. it restarted).
 * A request refused this way did not reach the agent.
 */
const CONNECTION_REFUSED_STATUSES = new Set([401, 403, 404, 410]);

/** The HTTP status of an SDK transport error (its `HttpResponseError` carries `status`). */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

function errorText(error: unknown): string {
  if (error === undefined) return "the server closed the event stream";
  return error instanceof Error ? describeNetworkError(error) : String(error);
}

/**
 * ACP's standard Streamable HTTP transport, through the official SDK's `createHttpStream`:
 * `initialize` is POSTed and answered with an `Acp-Connection-Id`; later messages are
 * POSTed with it, and the agent's messages arrive on SSE streams (one for the connection,
 * one per session). The runtime is gone when a stream breaks, or a POST is refused with
 * 401/403/404/410 or fails on the network. Auth: `Authorization: Bearer <token>` and any
 * extra headers on every request, browsers included.
 *
 * Handled by the SDK itself and surfacing as agent errors: a POST refused with another
 * status fails only its request (JSON-RPC error with `data.status`); a 409 on one session's
 * stream fails that session's requests until it is loaded again.
 */
export class AcpHttpTransport implements RuntimeTransport {
  readonly kind = "acp-http";
  /** Where requests go. */
  readonly endpoint: HttpEndpoint;
  readonly #options: AcpHttpTransportOptions;

  constructor(options: AcpHttpTransportOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`Invalid ACP HTTP URL "${redactCredentials(String(options.url))}": expected an absolute http(s):// URL`);
    }
    if (url.protocol === "ws:") url.protocol = "http:";
    else if (url.protocol === "wss:") url.protocol = "https:";
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`Invalid ACP HTTP URL "${redactCredentials(String(options.url))}": expected http:// or https://`);
    }
    this.endpoint = new HttpEndpoint({ ...options, baseUrl: url.toString() });
    this.#options = options;
  }

  get target(): string {
    return this.endpoint.baseUrl;
  }

  open(agent: string): TransportChannel {
    const target = this.target;
    // The SDK's Streamable HTTP client loads with the first channel: apps on another transport never load it.
    const stream = import("@agentclientprotocol/sdk/experimental/http-client").then(({ createHttpStream }) =>
      createHttpStream(target, {
        headers: headerRecord(this.endpoint.headers()),
        ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      }),
    );
    const classify: AcpFailureClassifier = {
      writeFailure: (error: unknown, message: AnyMessage, first: boolean): TransportFailure => {
        const what = "method" in message ? `"${message.method}"` : "a message";
        if (!first) {
          return { undelivered: true, error: new RuntimeLostError(`Connection to ${target} lost before ${what} was sent`, { undelivered: true, cause: error }) };
        }
        const status = statusOf(error);
        if (status === 401 || status === 403) return { undelivered: true, error: errorFromProblem(status, undefined, `${what} to ${target}`) };
        if (status !== undefined) {
          const undelivered = CONNECTION_REFUSED_STATUSES.has(status);
          return { undelivered, error: new RuntimeLostError(`${what} to ${target} failed: HTTP ${status}`, { undelivered, status, cause: error }) };
        }
        // Refused: nothing was sent. Any other network failure may have reached the agent.
        const undelivered = isConnectionRefused(error) || /stream is closed/i.test(errorText(error));
        return { undelivered, error: new RuntimeLostError(`Lost the agent at ${target} while sending ${what}: ${errorText(error)}`, { undelivered, cause: error }) };
      },
      lostError: (error: unknown) => {
        const status = statusOf(error);
        return new RuntimeLostError(`The ACP HTTP connection to ${target} ended: ${errorText(error)}`, {
          undelivered: isConnectionRefused(error) || (status !== undefined && CONNECTION_REFUSED_STATUSES.has(status)),
          ...(status !== undefined ? { status } : {}),
          cause: error,
        });
      },
    };
    return new AcpStreamChannel({
      connectionId: `acp-http-${agent}-${crypto.randomUUID()}`,
      stream,
      classify,
      // A broken event stream is noticed only once the event loop reads it; one turn of the
      // loop before each request lets a failure already received close the channel first.
      beforeRequest: yieldToEventLoop,
      closeTimeoutMs: this.#options.closeTimeoutMs ?? 1000,
    });
  }

  /**
   * A `GET` of the endpoint without a connection id: an ACP server answers it (400
   * "Missing Acp-Connection-Id" from the SDK's server) without creating anything. Any answer
   * but 401/403 (AuthenticationError), 404 (RuntimeNotFoundError) and 502/503
   * (RuntimeUnavailableError) counts as healthy; nothing listening rejects at once with
   * RuntimeUnavailableError.
   */
  async checkHealth(signal?: AbortSignal): Promise<void> {
    const response = await this.endpoint.send("", { method: "GET", headers: { accept: "text/event-stream" }, signal });
    if (response.status === 401 || response.status === 403 || response.status === 404 || response.status === 502 || response.status === 503) {
      throw await errorFromResponse(response, `health check of ${this.target}`);
    }
    await response.body?.cancel().catch(() => undefined);
  }
}
