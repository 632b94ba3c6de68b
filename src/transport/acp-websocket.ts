import { redactCredentials, takeCredentials } from "./url.js";
import type { AnyMessage } from "@agentclientprotocol/sdk";
import type { WebSocketConstructor, WebSocketLike } from "@agentclientprotocol/sdk/experimental/ws-client";
import { AcpStreamChannel, headerRecord, yieldToEventLoop, type AcpFailureClassifier } from "./acp-channel.js";
import { AbortedError, AuthenticationError, RuntimeError, RuntimeLostError, RuntimeNotFoundError, RuntimeTimeoutError, RuntimeUnavailableError } from "./errors.js";
import type { TransportFailure } from "./failures.js";
import { describeNetworkError, errorFromProblem, isConnectionRefused } from "./http.js";
import type { RuntimeTransport, TransportChannel } from "./types.js";

/** Options of {@link AcpWebSocketTransport}. */
export interface AcpWebSocketTransportOptions {
  /** The agent's ACP WebSocket endpoint, e.g. `ws://127.0.0.1:8080/acp` (`http(s)://` is read as `ws(s)://`). */
  url: string;
  /**
   * Bearer token, sent as `Authorization: Bearer <token>` on the upgrade request. Browsers
   * cannot set headers on a WebSocket: there, use {@link AcpWebSocketTransportOptions.tokenQueryParam}
   * (if the server accepts it) or a cookie.
   */
  token?: string;
  /** Extra headers of the upgrade request (Node only; browsers ignore them). */
  headers?: HeadersInit;
  /**
   * Also send `token` as this query parameter of the URL (e.g. `"access_token"`), for
   * servers that accept it: the only way to pass a token from a browser. Query strings can
   * end up in server logs; prefer the header where possible.
   */
  tokenQueryParam?: string;
  /**
   * The WebSocket constructor. Default: in Node, the `ws` package (an optional peer
   * dependency, loaded on first use); elsewhere `globalThis.WebSocket`.
   */
  WebSocket?: WebSocketConstructor;
  /** WebSocket subprotocols to request. */
  protocols?: string[];
  /** How long the opening handshake may take, in ms (default 10000; enforced with `ws` only). */
  handshakeTimeoutMs?: number;
  /** How long `close()` waits for the socket to close, in ms (default 1000). */
  closeTimeoutMs?: number;
}

/** The Node WebSocket package, loaded on first use in Node only. */
const WS_MODULE: string = "ws";

const WS_CONNECTING = 0;
const WS_OPEN = 1;

function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string";
}

/** The `ws` package's WebSocket, loaded only when this transport runs in Node without a constructor given. */
async function loadNodeWebSocket(): Promise<WebSocketConstructor> {
  try {
    // Named by a variable so that browser bundles never pull `ws` in (browsers have WebSocket).
    const mod = (await import(/* webpackIgnore: true */ /* @vite-ignore */ WS_MODULE)) as { WebSocket?: WebSocketConstructor; default?: WebSocketConstructor };
    const ctor = mod.WebSocket ?? mod.default;
    if (typeof ctor === "function") return ctor;
  } catch {
    // reported below
  }
  throw new TypeError('The "acp-websocket" transport needs the `ws` package in Node (npm install ws), or pass options.WebSocket');
}

/** The HTTP status of a refused WebSocket handshake, as `ws` reports it ("Unexpected server response: 401"). */
export function handshakeStatus(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : typeof error === "object" && error !== null ? String((error as { message?: unknown }).message ?? "") : "";
  const match = /Unexpected server response: (\d{3})/.exec(message);
  return match ? Number(match[1]) : undefined;
}

function errorText(error: unknown): string {
  if (error === undefined) return "the server closed the connection";
  if (error instanceof Error) return describeNetworkError(error);
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" && message ? message : "WebSocket error";
}

/**
 * ACP's standard WebSocket transport (one JSON-RPC message per text frame), through the
 * official SDK's `createWebSocketStream`. One WebSocket per channel; the runtime is gone
 * when the socket closes or errors.
 *
 * In Node the socket comes from the `ws` package and carries `Authorization` and any extra
 * headers; in browsers the native WebSocket cannot send headers (see `tokenQueryParam`).
 * A refused handshake is read from `ws`'s error (HTTP 401/403 become
 * {@link AuthenticationError}); a browser reports no status, so there every failed
 * handshake counts as the runtime being unavailable.
 */
export class AcpWebSocketTransport implements RuntimeTransport {
  readonly kind = "acp-websocket";
  /** The endpoint, without the token query parameter. */
  readonly target: string;
  readonly #connectUrl: string;
  readonly #headers: Record<string, string>;
  readonly #options: AcpWebSocketTransportOptions;
  private ctor: Promise<WebSocketConstructor> | undefined;

  constructor(options: AcpWebSocketTransportOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`Invalid ACP WebSocket URL "${redactCredentials(String(options.url))}": expected an absolute ws(s):// URL`);
    }
    if (url.protocol === "http:") url.protocol = "ws:";
    else if (url.protocol === "https:") url.protocol = "wss:";
    if (url.protocol !== "ws:" && url.protocol !== "wss:") {
      throw new TypeError(`Invalid ACP WebSocket URL "${redactCredentials(String(options.url))}": expected ws:// or wss://`);
    }
    // Shown in messages without credentials; `ws` (and browsers) send user-info as Basic auth.
    this.target = takeCredentials(url).url.toString();
    if (options.tokenQueryParam && options.token !== undefined) url.searchParams.set(options.tokenQueryParam, options.token);
    this.#connectUrl = url.toString();
    const headers = new Headers(options.headers);
    if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
    this.#headers = headerRecord(headers);
    this.#options = options;
  }

  private webSocket(): Promise<WebSocketConstructor> {
    this.ctor ??= (async () => {
      if (this.#options.WebSocket) return this.#options.WebSocket;
      if (isNode()) return loadNodeWebSocket();
      const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (typeof native !== "function") throw new TypeError("No WebSocket implementation available: pass options.WebSocket");
      return native;
    })();
    // A failed load is not cached: the next open tries again.
    this.ctor.catch(() => (this.ctor = undefined));
    return this.ctor;
  }

  /** A constructor that builds the real socket with our options and hands it to `onSocket`. */
  private capturing(base: WebSocketConstructor, onSocket: (socket: WebSocketLike) => void): WebSocketConstructor {
    const handshakeTimeout = this.#options.handshakeTimeoutMs ?? 10_000;
    const Capturing = function (url: string, protocols?: string | string[], init?: { headers?: Record<string, string> }) {
      // `ws` reads handshakeTimeout from the options; browsers ignore the third argument.
      const socket = new base(url, protocols, { ...init, handshakeTimeout } as { headers?: Record<string, string> });
      onSocket(socket);
      return socket;
    };
    return Capturing as unknown as WebSocketConstructor;
  }

  open(agent: string): TransportChannel {
    let socket: WebSocketLike | undefined;
    // The SDK's WebSocket client loads with the first channel: apps on another transport never load it.
    const stream = Promise.all([this.webSocket(), import("@agentclientprotocol/sdk/experimental/ws-client")]).then(([base, { createWebSocketStream }]) =>
      createWebSocketStream(this.#connectUrl, {
        WebSocket: this.capturing(base, (s) => (socket = s)),
        headers: this.#headers,
        ...(this.#options.protocols ? { protocols: this.#options.protocols } : {}),
      }),
    );
    const target = this.target;
    const classify: AcpFailureClassifier = {
      writeFailure: (error: unknown, _message: AnyMessage, first: boolean): TransportFailure => {
        // Every failed write of this transport happened before the frame was sent.
        const status = first ? handshakeStatus(error) : undefined;
        if (status !== undefined && status !== 404) {
          return { undelivered: true, error: errorFromProblem(status, undefined, `WebSocket handshake with ${target}`) };
        }
        if (status === 404) return { undelivered: true, error: new RuntimeLostError(`No ACP WebSocket endpoint at ${target} (HTTP 404)`, { undelivered: true, status }) };
        return { undelivered: true, error: new RuntimeLostError(`Cannot send to the agent at ${target}: ${errorText(error)}`, { undelivered: true, cause: error }) };
      },
      lostError: (error: unknown) => {
        const status = handshakeStatus(error);
        return new RuntimeLostError(`The ACP WebSocket connection to ${target} ended: ${errorText(error)}`, {
          undelivered: isConnectionRefused(error) || status !== undefined,
          ...(status !== undefined ? { status } : {}),
          cause: error,
        });
      },
    };
    return new AcpStreamChannel({
      connectionId: `acp-ws-${agent}-${crypto.randomUUID()}`,
      stream,
      classify,
      // A socket already closing would drop the frame silently.
      canSend: () => socket === undefined || socket.readyState === undefined || socket.readyState === WS_OPEN || socket.readyState === WS_CONNECTING,
      // A peer that closed the socket is noticed only once the event loop reads the close;
      // one turn of the loop before each request lets a close already received be seen.
      beforeRequest: yieldToEventLoop,
      closeTimeoutMs: this.#options.closeTimeoutMs ?? 1000,
    });
  }

  /**
   * Open a WebSocket to the endpoint and close it as soon as the handshake succeeds (no
   * ACP message is sent). Rejects at once with {@link RuntimeUnavailableError} when nothing
   * listens, {@link AuthenticationError} on HTTP 401/403, {@link RuntimeNotFoundError} on 404,
   * {@link RuntimeTimeoutError} when the handshake does not finish within `handshakeTimeoutMs`.
   */
  async checkHealth(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new AbortedError("The health check was aborted", { cause: signal.reason });
    const base = await this.webSocket();
    const timeoutMs = this.#options.handshakeTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      let socket: WebSocketLike;
      let settled = false;
      const finish = (error?: RuntimeError | AbortedError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        try {
          socket.close(1000);
        } catch {
          // closing a socket that never opened
        }
        if (error) reject(error);
        else resolve();
      };
      const onAbort = (): void => finish(new AbortedError("The health check was aborted", { cause: signal?.reason }));
      const timer = setTimeout(
        () => finish(new RuntimeTimeoutError(`The WebSocket handshake with ${this.target} took more than ${timeoutMs} ms`)),
        timeoutMs,
      );
      try {
        socket = new (this.capturing(base, () => undefined))(this.#connectUrl, this.#options.protocols, { headers: this.#headers });
      } catch (error) {
        settled = true;
        clearTimeout(timer);
        reject(new RuntimeUnavailableError(`Cannot open a WebSocket to ${this.target}: ${errorText(error)}`, { cause: error }));
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      listen(socket, "open", () => finish());
      listen(socket, "error", (error) => {
        const status = handshakeStatus(error);
        if (status === 404) finish(new RuntimeNotFoundError(`No ACP WebSocket endpoint at ${this.target} (HTTP 404)`, { status }));
        else if (status !== undefined) finish(errorFromProblem(status, undefined, `WebSocket handshake with ${this.target}`));
        else finish(new RuntimeUnavailableError(`Cannot reach the agent at ${this.target}: ${errorText(error)}`, { cause: error }));
      });
      listen(socket, "close", () => finish(new RuntimeUnavailableError(`The agent at ${this.target} closed the WebSocket during the handshake`)));
    });
  }
}

/** Listen on a `ws` (EventEmitter) or browser (EventTarget) socket. */
function listen(socket: WebSocketLike, type: string, listener: (event: unknown) => void): void {
  if (socket.on) socket.on(type, (arg: unknown) => listener(arg));
  else socket.addEventListener?.(type, listener);
}
