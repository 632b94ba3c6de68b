// An ACP agent served over ACP's standard remote transport (Streamable HTTP and WebSocket on
// one endpoint), in this process: the official SDK's AcpServer with its Node adapters, serving
// the scripted agent (or, with the `claude` option, Claude Code's ACP adapter, one process per
// connection), behind a bearer token. For tests, the demo and the bench; no vitest here.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { AcpServer } from "@agentclientprotocol/sdk/experimental/server";
import { createNodeHttpHandler, createNodeWebSocketUpgradeHandler } from "@agentclientprotocol/sdk/experimental/node";
import { WebSocketServer } from "ws";
import { killProcessGroup, type ClaudeAgentSetup } from "./claude/agent.js";
import { claudeAdapterConnector, type AdapterProcesses } from "./claude/connector.js";
import { createScriptedAgent } from "./scripted-agent/agent.js";

/** Options of {@link startAcpServer}. */
export interface StartAcpServerOptions {
  /** Port on 127.0.0.1. Default: a free one, kept across restarts. */
  port?: number;
  /** Path of the ACP endpoint. Default `/acp`. */
  path?: string;
  /** Bearer token every request and upgrade must carry; others get 401. Default: random. `null`: no auth. */
  token?: string | null;
  /**
   * Also accept the token as this query parameter (what a browser WebSocket can send), e.g.
   * `"access_token"`. Default: header only.
   */
  tokenQueryParam?: string;
  /** The scripted agent advertises and serves `session/load`. Default false; change with `configureAgent`. */
  loadSession?: boolean;
  /** Where the agent keeps session transcripts (kept across restarts). Default: a temp dir removed by `close()`. */
  stateDir?: string;
  /**
   * Serve Claude Code's ACP adapter instead of the scripted agent: each connection gets its own
   * adapter process (in its own process group, killed when the connection ends, and by `kill()`
   * and `stop()`), run with this set-up (see `harness/claude/`). `loadSession`/`stateDir` do not apply.
   */
  claude?: ClaudeAgentSetup;
  /** With `claude`: sees every message an adapter process writes (every connection's), before it is sent. */
  onAgentMessage?: (message: unknown) => void;
}

/** A running ACP server with the scripted agent. */
export interface AcpServerHandle {
  /** `ws://127.0.0.1:<port><path>`: the WebSocket endpoint. */
  readonly wsUrl: string;
  /** `http://127.0.0.1:<port><path>`: the Streamable HTTP endpoint. */
  readonly httpUrl: string;
  /** The required bearer token (`undefined` when auth is off). */
  readonly token: string | undefined;
  /** TCP port, the same across restarts. */
  readonly port: number;
  /** Where the agent keeps session transcripts; survives restarts. */
  readonly stateDir: string;
  /** Whether the server is listening. */
  readonly running: boolean;
  /** Agent settings from the next start or restart on. */
  configureAgent(config: { loadSession: boolean }): void;
  /** Process group ids of the agent processes running now (the `claude` option; none for the in-process scripted agent). */
  agentProcessGroups(): number[];
  /** Stop abruptly, as a crash would: every socket destroyed, no close frames, agent state in memory lost. */
  kill(): Promise<void>;
  /** Stop politely: WebSockets closed with 1001, ACP connections closed, then the listener. */
  stop(): Promise<void>;
  /**
   * `kill()` (when running), stay down `downtimeMs` (default 0), then listen again on the
   * same port with a fresh agent (transcripts on disk kept). An in-process restart is far
   * quicker than a real one; a downtime gives clients the time a real restart would to see
   * their old connections die.
   */
  restart(options?: { downtimeMs?: number }): Promise<void>;
  /** Stop and remove the temp state dir it created. Idempotent. */
  close(): Promise<void>;
}

/** Start the server; resolves once it listens. */
export async function startAcpServer(options: StartAcpServerOptions = {}): Promise<AcpServerHandle> {
  const server = new ScriptedAcpServer(options);
  await server.listen(options.port ?? 0);
  return server;
}

class ScriptedAcpServer implements AcpServerHandle {
  readonly token: string | undefined;
  readonly stateDir: string;
  port = 0;
  private readonly path: string;
  private readonly tokenQueryParam: string | undefined;
  private readonly ownsStateDir: boolean;
  private loadSession: boolean;
  private readonly claude: ClaudeAgentSetup | undefined;
  private readonly adapters: AdapterProcesses;
  private http: Server | undefined;
  private acp: AcpServer | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sockets = new Set<Socket>();
  private closed = false;

  constructor(options: StartAcpServerOptions) {
    this.token = options.token === null ? undefined : (options.token ?? randomBytes(16).toString("hex"));
    this.path = options.path ?? "/acp";
    this.tokenQueryParam = options.tokenQueryParam;
    this.loadSession = options.loadSession ?? false;
    this.claude = options.claude;
    this.adapters = { groups: new Set(), ...(options.onAgentMessage ? { onMessage: options.onAgentMessage } : {}) };
    this.ownsStateDir = options.stateDir === undefined;
    this.stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "durable-agent-acp-"));
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}${this.path}`;
  }
  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}${this.path}`;
  }
  get running(): boolean {
    return this.http !== undefined;
  }

  configureAgent(config: { loadSession: boolean }): void {
    this.loadSession = config.loadSession;
  }

  agentProcessGroups(): number[] {
    return [...this.adapters.groups];
  }

  private makeAcp(): AcpServer {
    if (this.claude) return new AcpServer({ createAgent: () => claudeAdapterConnector(this.claude!, this.adapters) });
    // One agent per server run: its sessions are shared by every connection, like a real
    // agent server's, and lost on restart (only transcripts on disk survive).
    const agent = createScriptedAgent({ loadSession: this.loadSession, stateDir: this.stateDir, onCrash: () => this.kill() });
    return new AcpServer({ agent });
  }

  async listen(port: number): Promise<void> {
    if (this.closed) throw new Error("the ACP server was closed");
    if (this.http) return;
    const acp = this.makeAcp();
    this.acp = acp;
    const wss = new WebSocketServer({ noServer: true });
    this.wss = wss;
    const http = createServer((req, res) => this.onRequest(req, res));
    http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    http.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, "127.0.0.1", () => {
        http.off("error", reject);
        resolve();
      });
    });
    const address = http.address();
    if (address === null || typeof address !== "object") throw new Error("the ACP server got no port");
    this.port = address.port;
    this.http = http;
  }

  /** Whether the request is for the endpoint and carries the token; otherwise the status to refuse it with. */
  private authorized(req: IncomingMessage): { path: string } | { status: number; reason: string } {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== this.path) return { status: 404, reason: "Not Found" };
    if (this.token === undefined) return { path: url.pathname };
    if (req.headers.authorization === `Bearer ${this.token}`) return { path: url.pathname };
    if (this.tokenQueryParam && url.searchParams.get(this.tokenQueryParam) === this.token) return { path: url.pathname };
    return { status: 401, reason: "Unauthorized" };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const auth = this.authorized(req);
    const acp = this.acp;
    if ("status" in auth || !acp) {
      const status = "status" in auth ? auth.status : 503;
      res.writeHead(status, { "content-type": "text/plain", ...(status === 401 ? { "www-authenticate": "Bearer" } : {}) });
      res.end("status" in auth ? auth.reason : "Unavailable");
      return;
    }
    createNodeHttpHandler(acp)(req, res);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const auth = this.authorized(req);
    if ("status" in auth || !this.acp || !this.wss) {
      const status = "status" in auth ? auth.status : 503;
      const reason = "status" in auth ? auth.reason : "Service Unavailable";
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    createNodeWebSocketUpgradeHandler(this.acp, this.wss)(req, socket, head);
  }

  async kill(): Promise<void> {
    const http = this.http;
    if (!http) return;
    this.http = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const acp = this.acp;
    const wss = this.wss;
    this.acp = undefined;
    this.wss = undefined;
    for (const client of wss?.clients ?? []) client.terminate();
    // Agent processes die with their server, as on a real host.
    for (const pgid of this.adapters.groups) killProcessGroup(pgid);
    this.adapters.groups.clear();
    await Promise.all([
      acp?.close().catch(() => undefined),
      new Promise<void>((resolve) => wss?.close(() => resolve()) ?? resolve()),
      new Promise<void>((resolve) => http.close(() => resolve())),
    ]);
  }

  async stop(): Promise<void> {
    const http = this.http;
    if (!http) return;
    for (const client of this.wss?.clients ?? []) client.close(1001, "server stopping");
    await this.acp?.close().catch(() => undefined);
    http.closeIdleConnections();
    await this.kill();
  }

  async restart(options: { downtimeMs?: number } = {}): Promise<void> {
    await this.kill();
    if (options.downtimeMs) await new Promise((resolve) => setTimeout(resolve, options.downtimeMs));
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
    if (this.ownsStateDir) rmSync(this.stateDir, { recursive: true, force: true });
  }
}
