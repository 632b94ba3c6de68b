import {
  AbortedError,
  AgentInstallError,
  AuthenticationError,
  RuntimeError,
  RuntimeHttpError,
  RuntimeNotFoundError,
  RuntimeTimeoutError,
  RuntimeUnavailableError,
  type ProblemDetails,
} from "./errors.js";
import { basicAuthorization, redactCredentials, takeCredentials } from "./url.js";

/** How to reach a runtime over HTTP: where, with which credentials and which `fetch`. */
export interface HttpEndpointOptions {
  /** Base URL of the runtime, e.g. `http://127.0.0.1:2468`. */
  baseUrl: string;
  /** Bearer token sent as `Authorization: Bearer <token>` on every request. */
  token?: string;
  /** Extra headers sent on every request. */
  headers?: HeadersInit;
  /** The `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch;
}

/** Low-level HTTP access to a runtime: URLs, auth headers, problem+json errors as typed errors. */
export class HttpEndpoint {
  /** The base URL without a trailing slash. */
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #extraHeaders: HeadersInit | undefined;
  readonly #basicAuth: string | undefined;
  private readonly fetcher: typeof fetch;

  constructor(options: HttpEndpointOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`Invalid baseUrl "${redactCredentials(String(options.baseUrl))}": expected an absolute http(s) URL`);
    }
    // `fetch` refuses URLs with credentials: they are sent as Basic auth instead, and never shown.
    const { url, userInfo } = takeCredentials(parsed);
    if (userInfo && options.token !== undefined) {
      throw new TypeError("baseUrl carries credentials (user:password@) and a token is given too: use one of them");
    }
    this.baseUrl = url.toString().replace(/\/+$/, "");
    this.#token = options.token;
    this.#extraHeaders = options.headers;
    this.#basicAuth = userInfo ? basicAuthorization(userInfo) : undefined;
    const fetcher = options.fetch ?? globalThis.fetch;
    if (typeof fetcher !== "function") throw new TypeError("No fetch implementation available: pass options.fetch");
    this.fetcher = fetcher.bind(globalThis);
  }

  /** Absolute URL of `path` (which starts with `/`), with optional query parameters. */
  url(path: string, query?: Record<string, string | undefined>): string {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    return url.toString();
  }

  /** Headers for a request: the caller's extras, then auth, then `extra`. */
  headers(extra?: Record<string, string>): Headers {
    const headers = new Headers(this.#extraHeaders);
    if (this.#token !== undefined) headers.set("authorization", `Bearer ${this.#token}`);
    else if (this.#basicAuth !== undefined && !headers.has("authorization")) headers.set("authorization", this.#basicAuth);
    for (const [key, value] of Object.entries(extra ?? {})) headers.set(key, value);
    return headers;
  }

  /**
   * Send a request. Network failures become {@link RuntimeUnavailableError} (or
   * {@link AbortedError} when `init.signal` fired); HTTP statuses are returned as they are.
   */
  async send(path: string, init: RequestInit & { query?: Record<string, string | undefined> } = {}): Promise<Response> {
    const { query, ...rest } = init;
    try {
      return await this.fetcher(this.url(path, query), { ...rest, headers: this.headers(headersToRecord(rest.headers)) });
    } catch (error) {
      if (init.signal?.aborted) throw new AbortedError("The request was aborted", { cause: init.signal.reason });
      throw new RuntimeUnavailableError(`Cannot reach the runtime at ${this.baseUrl}: ${describeNetworkError(error)}`, {
        cause: error,
      });
    }
  }

  /** `GET /v1/health`; resolves when the runtime reports ok, throws a typed error otherwise. */
  async health(signal?: AbortSignal): Promise<void> {
    const response = await this.send("/v1/health", { method: "GET", signal });
    if (!response.ok) throw await errorFromResponse(response, "health check");
    await response.body?.cancel();
  }
}

function headersToRecord(headers: HeadersInit | undefined): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  const out: Record<string, string> = {};
  new Headers(headers).forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

/** A short description of a fetch failure, including the system error code when Node gives one. */
export function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return redactCredentials(`${cause.code}${cause.message ? ` (${cause.message})` : ""}`);
  return redactCredentials(error instanceof Error ? error.message : String(error));
}

/** Whether a fetch failure means nothing was sent: the connection was refused or the host not found. */
export function isConnectionRefused(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EHOSTUNREACH") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Read a problem+json body if there is one; never throws. */
export async function readProblem(response: Response): Promise<ProblemDetails | undefined> {
  try {
    const text = await response.text();
    if (!text) return undefined;
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as ProblemDetails) : { detail: text };
  } catch {
    return undefined;
  }
}

/** Turn a non-2xx response into the matching typed {@link RuntimeError}, with the runtime's detail in the message. */
export async function errorFromResponse(response: Response, what: string, agent?: string): Promise<RuntimeError> {
  const problem = await readProblem(response);
  return errorFromProblem(response.status, problem, what, agent);
}

/** Map an HTTP status and problem body to a typed {@link RuntimeError}. */
export function errorFromProblem(status: number, problem: ProblemDetails | undefined, what: string, agent?: string): RuntimeError {
  const detail = problem?.detail ?? problem?.title ?? "";
  const message = `${what} failed: HTTP ${status}${problem?.type ? ` ${problem.type}` : ""}${detail ? `: ${detail}` : ""}`;
  const options = { status, problem };
  if (status === 401 || status === 403) return new AuthenticationError(message, options);
  if (/:(install_failed|agent_not_installed|unsupported_agent)$/.test(problem?.type ?? "")) {
    return new AgentInstallError(agent ?? "unknown", message, options);
  }
  if (status === 404) return new RuntimeNotFoundError(message, options);
  if (status === 408 || status === 504) return new RuntimeTimeoutError(message, options);
  if (status === 502 || status === 503) return new RuntimeUnavailableError(message, options);
  return new RuntimeHttpError(message, options);
}
