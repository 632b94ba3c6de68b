// `--runtime`: what the demo's client talks to. Each kind is one small function returning the
// same handle, so adding a runtime means adding one function and one entry in RUNTIMES.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CLAUDE_ADAPTER_VERSION,
  CLAUDE_AGENT_ID,
  makeClaudeSandbox,
  startFakeModel,
  wipeClaudeSandbox,
  type ClaudeSandbox,
  type FakeModel,
} from "../../harness/claude/index.js";
import { pidsInGroup, SANDBOX_AGENT_BIN, SCRIPTED_AGENT_ID, startRuntime } from "../../harness/index.js";
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

/** A runtime serving Claude Code (its ACP adapter), which talks to a fake model on loopback. */
export interface DemoClaudeRuntime extends DemoRuntime {
  /** The fake Anthropic Messages API: what each model request held is in `model.requests`. */
  readonly model: FakeModel;
  /** Claude Code's sandbox: its config dir (transcripts), home and the sessions' workspace. */
  readonly sandbox: ClaudeSandbox;
  /** Kills the runtime, deletes Claude Code's config dir (as a replaced sandbox would), starts it again. */
  loseSandbox(): Promise<void>;
}

/** Starts the runtime of this kind with the scripted agent installed. */
export function startRuntimeFor(kind: RuntimeKind): Promise<DemoRuntime> {
  return kind === "acp-ws" ? startAcpWebSocket() : startSandboxAgent();
}

/** Starts the fake model, then the runtime of this kind serving Claude Code against it. */
export async function startClaudeRuntimeFor(kind: RuntimeKind): Promise<DemoClaudeRuntime> {
  const model = await startFakeModel();
  try {
    const runtime = kind === "acp-ws" ? await startAcpWebSocket(model) : await startSandboxAgent(model);
    const sandbox = runtime.claudeSandbox!;
    return {
      ...runtime,
      describe: () => `${runtime.describe()}; Claude Code (claude-agent-acp ${CLAUDE_ADAPTER_VERSION}) as agent "${CLAUDE_AGENT_ID}"`,
      agent: CLAUDE_AGENT_ID,
      model,
      sandbox,
      loseSandbox: async () => {
        await runtime.kill();
        wipeClaudeSandbox(sandbox);
        await runtime.start();
      },
      stop: async () => {
        await runtime.stop();
        await model.close();
      },
    };
  } catch (error) {
    await model.close();
    throw error;
  }
}

/**
 * The real `sandbox-agent` binary (a dev dependency) on a free loopback port, in its own process
 * group; with `claude`, Claude Code is installed as agent `claude`, talking to that model.
 */
async function startSandboxAgent(claude?: FakeModel): Promise<DemoRuntime & { claudeSandbox?: ClaudeSandbox }> {
  if (!existsSync(SANDBOX_AGENT_BIN)) {
    throw new Error(
      `the bundled runtime binary is missing (${SANDBOX_AGENT_BIN}); it comes with the @sandbox-agent/cli-linux-x64 ` +
        "dev dependency (Linux x64 only): run `npm ci` on a Linux x64 machine",
    );
  }
  const runtime = await startRuntime({ loadSession: false, ...(claude ? { claude: { modelBaseUrl: claude.baseUrl } } : {}) });
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
    ...(runtime.claude ? { claudeSandbox: runtime.claude } : {}),
  };
}

/**
 * The scripted agent behind the ACP SDK's own server, over WebSocket, in this process; with
 * `claude`, Claude Code's adapter instead (a process per connection), talking to that model.
 */
async function startAcpWebSocket(claude?: FakeModel): Promise<DemoRuntime & { claudeSandbox?: ClaudeSandbox }> {
  const { startAcpServer } = await import("../../harness/acp-server.js");
  const { AcpWebSocketTransport } = await import("../../src/transport/acp-websocket.js");
  const root = claude ? mkdtempSync(join(tmpdir(), "durable-agent-demo-claude-")) : undefined;
  const sandbox = root === undefined ? undefined : makeClaudeSandbox(root);
  const server = await startAcpServer({
    loadSession: false,
    ...(claude && sandbox ? { claude: { modelBaseUrl: claude.baseUrl, sandbox } } : {}),
  });
  const token = server.token ?? "";
  return {
    describe: () => `ACP WebSocket server (ACP SDK's AcpServer, in this process) at ${server.wsUrl}`,
    baseUrl: server.wsUrl,
    token,
    agent: SCRIPTED_AGENT_ID,
    transport: () => new AcpWebSocketTransport({ url: server.wsUrl, token }),
    pids: () => server.agentProcessGroups().flatMap((pgid) => pidsInGroup(pgid)),
    kill: () => server.kill(),
    start: () => server.restart(),
    restart: () => server.restart(),
    // This server builds its agent at start: restart it for the setting to apply.
    enableLoadSession: async () => {
      server.configureAgent({ loadSession: true });
      await server.restart();
    },
    stop: async () => {
      await server.close();
      if (root !== undefined) rmSync(root, { recursive: true, force: true });
    },
    ...(sandbox ? { claudeSandbox: sandbox } : {}),
  };
}
