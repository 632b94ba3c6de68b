// `--runtime`: what the demo's client talks to. Each kind is one small function returning the
// same handle, so adding a runtime means adding one function and one entry in RUNTIMES.
import { existsSync } from "node:fs";
import { SANDBOX_AGENT_BIN, SCRIPTED_AGENT_ID, startRuntime } from "../../harness/index.js";
import type { RuntimeTransport } from "../../src/index.js";

/** A runtime the demo started, with the scripted agent behind it. */
export interface DemoRuntime {
  /** One line saying what runs, e.g. `sandbox-agent 0.4.2 (bundled binary), pid 123`. */
  describe(): string;
  /** Where the client connects (`baseUrl` of `SandboxAgent.connect`). */
  readonly baseUrl: string;
  /** Bearer token the runtime requires. */
  readonly token: string;
  /** The agent id to create sessions with. */
  readonly agent: string;
  /** A transport for a new client, when `baseUrl` alone does not select the right one. */
  transport?(): RuntimeTransport;
  /** Pids of the runtime's processes (runtime and agents), for the "nothing left behind" check. */
  pids(): number[];
  /** Kills the runtime the hard way (no goodbye to clients); agent sessions in it are lost. */
  kill(): Promise<void>;
  /** Starts it again at the same address after {@link DemoRuntime.kill}. */
  start(): Promise<void>;
  /** {@link DemoRuntime.kill} then {@link DemoRuntime.start}. */
  restart(): Promise<void>;
  /** From now on, agents advertise and serve `session/load` (restarting what must be restarted). */
  enableLoadSession(): Promise<void>;
  /** Stops everything it started and removes its temp files. Idempotent. */
  stop(): Promise<void>;
}

/** Runtime kinds `--runtime` accepts. */
export type RuntimeKind = "sandbox-agent" | "acp-ws";

/** Every runtime kind, with the line `--help` shows for it. */
export const RUNTIMES: Record<RuntimeKind, string> = {
  "sandbox-agent": "the bundled sandbox-agent server (ACP over HTTP POST + SSE) (default)",
  "acp-ws": "an ACP server in this process, reached over ACP's standard WebSocket transport",
};

/** Whether `value` names a runtime kind. */
export function isRuntimeKind(value: string): value is RuntimeKind {
  return Object.hasOwn(RUNTIMES, value);
}

/** Starts the runtime of this kind with the scripted agent installed. */
export function startRuntimeFor(kind: RuntimeKind): Promise<DemoRuntime> {
  return kind === "acp-ws" ? startAcpWebSocket() : startSandboxAgent();
}

/** The real `sandbox-agent` binary (a dev dependency) on a free loopback port, in its own process group. */
async function startSandboxAgent(): Promise<DemoRuntime> {
  if (!existsSync(SANDBOX_AGENT_BIN)) {
    throw new Error(
      `the bundled runtime binary is missing (${SANDBOX_AGENT_BIN}); it comes with the @sandbox-agent/cli-linux-x64 ` +
        "dev dependency (Linux x64 only): run `npm ci` on a Linux x64 machine",
    );
  }
  const runtime = await startRuntime({ loadSession: false });
  return {
    describe: () => `sandbox-agent 0.4.2 (bundled binary) at ${runtime.baseUrl}, pid ${runtime.pid}`,
    baseUrl: runtime.baseUrl,
    token: runtime.token,
    agent: SCRIPTED_AGENT_ID,
    pids: () => runtime.groupPids(),
    kill: () => runtime.kill(),
    start: () => runtime.restart(),
    restart: () => runtime.restart(),
    // The runtime spawns a new agent process for each new client connection; it reads this.
    enableLoadSession: async () => runtime.configureAgent({ loadSession: true }),
    stop: () => runtime.stop(),
  };
}

/** The scripted agent behind the ACP SDK's own server, over WebSocket, in this process. */
async function startAcpWebSocket(): Promise<DemoRuntime> {
  const { startAcpServer } = await import("../../harness/acp-server.js");
  const { AcpWebSocketTransport } = await import("../../src/transport/acp-websocket.js");
  const server = await startAcpServer({ loadSession: false });
  const token = server.token ?? "";
  return {
    describe: () => `ACP WebSocket server (ACP SDK's AcpServer, in this process) at ${server.wsUrl}`,
    baseUrl: server.wsUrl,
    token,
    agent: SCRIPTED_AGENT_ID,
    transport: () => new AcpWebSocketTransport({ url: server.wsUrl, token }),
    pids: () => [],
    kill: () => server.kill(),
    start: () => server.restart(),
    restart: () => server.restart(),
    // This server builds its agent at start: restart it for the setting to apply.
    enableLoadSession: async () => {
      server.configureAgent({ loadSession: true });
      await server.restart();
    },
    stop: () => server.close(),
  };
}
