import { AcpHttpTransport } from "./acp-http.js";
import { AcpWebSocketTransport } from "./acp-websocket.js";
import { SandboxAgentTransport } from "./sandbox-agent.js";
import type { RuntimeTransport } from "./types.js";

/**
 * The transports the client can build from a URL:
 * - `"sandbox-agent"`: the sandbox-agent runtime (`POST /v1/acp/{id}` + SSE), at its base URL;
 * - `"acp-websocket"`: ACP's standard WebSocket transport, at the agent's `ws(s)://` endpoint;
 * - `"acp-http"`: ACP's standard Streamable HTTP transport, at the agent's `http(s)://` endpoint.
 */
export type TransportName = "sandbox-agent" | "acp-websocket" | "acp-http";

/** Every {@link TransportName}. */
export const TRANSPORT_NAMES: readonly TransportName[] = ["sandbox-agent", "acp-websocket", "acp-http"];

/** Where the runtime is and how to reach it: what {@link selectTransport} reads. */
export interface TransportSelection {
  /**
   * Where the runtime is: the sandbox-agent base URL (`http://127.0.0.1:2468`, or a proxy's
   * path prefix) or an ACP agent's endpoint (`ws://127.0.0.1:8080/acp`). Required unless
   * `transport` is an instance.
   */
  baseUrl?: string;
  /** Bearer token the runtime requires. */
  token?: string;
  /** Extra headers sent on every request (on the upgrade request for WebSocket, Node only). */
  headers?: HeadersInit;
  /** The `fetch` to use (HTTP transports; default: the global one). */
  fetch?: typeof fetch;
  /**
   * Which runtime link to use: a {@link RuntimeTransport} of your own, or the name of a
   * built-in one to reach at `baseUrl`: `"sandbox-agent"` (the sandbox-agent runtime),
   * `"acp-websocket"` (ACP's standard WebSocket transport) or `"acp-http"` (ACP's standard
   * Streamable HTTP transport). Default: chosen by `baseUrl`, `ws://`/`wss://` meaning
   * `"acp-websocket"` and `http(s)://` meaning `"sandbox-agent"`. See docs/runtimes.md.
   */
  transport?: RuntimeTransport | TransportName;
}

/**
 * The transport for these options: `transport` itself when it is an instance; the named
 * transport at `baseUrl` when it is a name; otherwise chosen by the URL's scheme, `ws://`
 * and `wss://` meaning `"acp-websocket"` and `http(s)://` meaning `"sandbox-agent"`
 * (ACP Streamable HTTP shares that scheme, so it is only chosen by name).
 * Throws a `TypeError` naming the problem for an unknown name or a missing or invalid URL,
 * and for a sandbox-agent URL that is not the root of its server (`http://host:2468/v1`).
 */
export function selectTransport(options: TransportSelection): RuntimeTransport {
  const { transport } = options;
  if (transport !== undefined && typeof transport !== "string") return transport;
  if (transport !== undefined && !TRANSPORT_NAMES.includes(transport)) {
    throw new TypeError(`Unknown transport "${String(transport)}" (expected one of: ${TRANSPORT_NAMES.join(", ")}, or a RuntimeTransport)`);
  }
  const name = transport ?? nameForUrl(options.baseUrl);
  if (name === "sandbox-agent") {
    // Without a URL, a caller-supplied fetch may route every request itself.
    return new SandboxAgentTransport({ baseUrl: options.baseUrl ?? "http://localhost", token: options.token, headers: options.headers, fetch: options.fetch });
  }
  if (options.baseUrl === undefined) throw new TypeError(`The "${name}" transport needs a baseUrl (the agent's ACP endpoint)`);
  if (name === "acp-websocket") return new AcpWebSocketTransport({ url: options.baseUrl, token: options.token, headers: options.headers });
  return new AcpHttpTransport({ url: options.baseUrl, token: options.token, headers: options.headers, fetch: options.fetch });
}

function nameForUrl(baseUrl: string | undefined): TransportName {
  if (baseUrl !== undefined && /^wss?:/i.test(baseUrl.trim())) return "acp-websocket";
  return "sandbox-agent";
}
