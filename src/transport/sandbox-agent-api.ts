import { errorFromResponse, type HttpEndpoint } from "./http.js";

// The sandbox-agent runtime's control routes beside ACP: health, agents, ACP servers. Shapes
// as sandbox-agent 0.4 answers them; fields this SDK does not read are kept as they come.

/** `GET /v1/health`. */
export interface HealthResponse {
  /** `"ok"` when healthy. */
  status: string;
  [key: string]: unknown;
}

/** One agent the runtime knows. */
export interface AgentInfo {
  /** Agent id, e.g. `"claude"`. */
  id: string;
  /** Whether it is installed in the runtime. */
  installed: boolean;
  /** Whether the runtime found credentials for it. */
  credentialsAvailable: boolean;
  /** Installed version, with `config: true`. */
  version?: string;
  /** What the agent can do, as the runtime describes it. */
  capabilities?: Record<string, boolean>;
  /** The agent's configuration options (model...), with `config: true`. */
  configOptions?: unknown[];
  [key: string]: unknown;
}

/** `GET /v1/agents`. */
export interface AgentListResponse {
  /** Every agent the runtime knows. */
  agents: AgentInfo[];
  [key: string]: unknown;
}

/** Query options of `listAgents` / `getAgent`. */
export interface AgentQueryOptions {
  /** Include versions, paths and configuration options. */
  config?: boolean;
  /** Ask the runtime not to answer from its cache. */
  noCache?: boolean;
}

/** Body of `POST /v1/agents/{agent}/install`. */
export interface AgentInstallRequest {
  /** Install again even when installed. */
  reinstall?: boolean;
  [key: string]: unknown;
}

/** Answer of an install. */
export interface AgentInstallResponse {
  /** True when nothing had to be done. */
  already_installed: boolean;
  [key: string]: unknown;
}

/** One live ACP server instance on the runtime. */
export interface AcpServerInfo {
  /** Its id (this SDK's connection id). */
  serverId: string;
  /** The agent it runs. */
  agent: string;
  /** Creation time, epoch ms. */
  createdAtMs?: number;
  [key: string]: unknown;
}

/** `GET /v1/acp`. */
export interface AcpServerListResponse {
  /** The live instances. */
  servers: AcpServerInfo[];
  [key: string]: unknown;
}

function agentQuery(options: AgentQueryOptions | undefined): Record<string, string | undefined> {
  return { config: options?.config ? "true" : undefined, no_cache: options?.noCache ? "true" : undefined };
}

async function json<T>(endpoint: HttpEndpoint, what: string, path: string, init: RequestInit & { query?: Record<string, string | undefined> }, agent?: string): Promise<T> {
  const response = await endpoint.send(path, { ...init, headers: { accept: "application/json", ...(init.body ? { "content-type": "application/json" } : {}) } });
  if (!response.ok) throw await errorFromResponse(response, what, agent);
  return (await response.json()) as T;
}

/** The runtime's control routes, for one endpoint. */
export class SandboxAgentApi {
  constructor(private readonly endpoint: HttpEndpoint) {}

  /** `GET /v1/health`. */
  getHealth(signal?: AbortSignal): Promise<HealthResponse> {
    return json(this.endpoint, "health check", "/v1/health", { method: "GET", signal });
  }

  /** `GET /v1/agents`. */
  listAgents(options?: AgentQueryOptions, signal?: AbortSignal): Promise<AgentListResponse> {
    return json(this.endpoint, "listing agents", "/v1/agents", { method: "GET", query: agentQuery(options), signal });
  }

  /** `GET /v1/agents/{agent}`. */
  getAgent(agent: string, options?: AgentQueryOptions, signal?: AbortSignal): Promise<AgentInfo> {
    return json(this.endpoint, `reading agent "${agent}"`, `/v1/agents/${encodeURIComponent(agent)}`, { method: "GET", query: agentQuery(options), signal }, agent);
  }

  /** `POST /v1/agents/{agent}/install`. */
  installAgent(agent: string, request: AgentInstallRequest = {}, signal?: AbortSignal): Promise<AgentInstallResponse> {
    return json(
      this.endpoint,
      `installing agent "${agent}"`,
      `/v1/agents/${encodeURIComponent(agent)}/install`,
      { method: "POST", body: JSON.stringify(request), signal },
      agent,
    );
  }

  /** `GET /v1/acp`. */
  listAcpServers(signal?: AbortSignal): Promise<AcpServerListResponse> {
    return json(this.endpoint, "listing ACP servers", "/v1/acp", { method: "GET", signal });
  }
}
