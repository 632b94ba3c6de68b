import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeAgentLauncher, type AgentLaunchMode } from "./agent-launcher.js";
import { makeClaudeSandbox, wipeClaudeSandbox, writeClaudeEnvFile, writeClaudeLauncher, type ClaudeSandbox } from "./claude/agent.js";
import { SANDBOX_AGENT_BIN } from "./paths.js";
import { findPids, signalPids, waitStopped } from "./process-freeze.js";
import { signalGroup, trackDir, trackGroup, untrackDir, untrackGroup } from "./process-group.js";
import { writeScriptedAgentConfig } from "./scripted-agent/config.js";

/** Options of {@link startRuntime}. */
export interface StartRuntimeOptions {
  /** Port to listen on (127.0.0.1). Default: a free port. */
  port?: number;
  /** Bearer token the runtime requires. Default: random. */
  token?: string;
  /** Initial scripted agent configuration: advertise and serve `session/load`. Default false. */
  loadSession?: boolean;
  /** How the scripted agent is launched. Default `"bundle"` (fastest start). */
  agentLaunchMode?: AgentLaunchMode;
  /** How long to wait for `GET /v1/health` to answer 200, per start. Default 15 000 ms. */
  readyTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL in `stop()`. Default 2 000 ms. */
  stopGraceMs?: number;
  /**
   * Keep the temp dir (logs, agent state) after `stop()` or the parent's exit.
   * Default: env `HARNESS_KEEP_FILES=1`.
   */
  keepFiles?: boolean;
  /**
   * Let pages from this origin (e.g. `http://127.0.0.1:43117`) call the runtime: passes
   * `--cors-allow-origin` with the methods (GET, POST, DELETE) and request headers
   * (authorization, content-type, accept, last-event-id) the client sends. Kept across
   * `restart()`. Default: no CORS headers (browsers are refused).
   */
  corsAllowOrigin?: string;
  /**
   * Also install Claude Code (its ACP adapter, a dev dependency) as agent `claude`, talking to
   * the model at `modelBaseUrl` (the fake model of `harness/claude/fake-model.ts`), with its
   * sandbox (config dir, home, workspace) under `dataDir/claude`, kept across restarts.
   * Default: not installed, and agent `claude` fails to install offline as on a bare runtime.
   */
  claude?: { modelBaseUrl: string; apiKey?: string };
}

/** Scripted agent settings a test may change between agent spawns, without restarting the runtime. */
export interface AgentConfigUpdate {
  /** Advertise `agentCapabilities.loadSession` and serve `session/load`. */
  loadSession: boolean;
}

/** A running `sandbox-agent` server with the scripted agent installed as agent id `mock`. */
export interface RuntimeHandle {
  /** `http://127.0.0.1:<port>` (no trailing slash; routes live under `/v1`). */
  readonly baseUrl: string;
  /** Bearer token for `Authorization: Bearer <token>`. */
  readonly token: string;
  /** TCP port, the same across restarts. */
  readonly port: number;
  /** Temp dir of this instance: HOME, XDG_DATA_HOME, agent state, config, log. Removed by `stop()`. */
  readonly dataDir: string;
  /** The runtime's stdout+stderr, appended across restarts. */
  readonly logFile: string;
  /** Directory where the scripted agent keeps session transcripts (survives restarts). */
  readonly agentStateDir: string;
  /** Pid of the current runtime process (also its process group id); changes on restart. */
  readonly pid: number;
  /** Whether the runtime process is currently alive. */
  readonly running: boolean;
  /** Claude Code's sandbox when started with the `claude` option (see `wipeClaudeSandbox` for a lost one). */
  readonly claude: ClaudeSandbox | undefined;
  /** Whether {@link freeze} stopped the runtime process and {@link thaw} has not continued it yet. */
  readonly frozen: boolean;
  /** Rewrites the scripted agent's config; agents spawned from now on read it. */
  configureAgent(config: AgentConfigUpdate): void;
  /** Pids of every live process in the runtime's process group (runtime and spawned agents). */
  groupPids(): number[];
  /**
   * SIGSTOPs the runtime server process only (its agent processes keep running), to simulate
   * a hung runtime: connections stay open, nothing is answered, not even `/v1/health`.
   * Resolves once /proc shows it stopped. Throws when the runtime is not running.
   * `thaw()`, `kill()`, `restart()` and `stop()` all work on a frozen runtime.
   */
  freeze(): Promise<void>;
  /** SIGCONTs a frozen runtime; resolves once /proc shows it running again. No-op when not frozen. */
  thaw(): Promise<void>;
  /** SIGKILLs the runtime's process group (runtime and agents) and waits until it is gone. */
  kill(): Promise<void>;
  /** Kills (if running) and starts the runtime again on the same port and dirs; resolves when healthy. */
  restart(): Promise<void>;
  /**
   * The sandbox is lost and replaced by a new one: kills the runtime, empties every agent's
   * state (the scripted agent's `agentStateDir`, Claude Code's config dir and home; the
   * workspace stays so a session's `cwd` exists), and starts the runtime again on the same
   * port, as a fresh sandbox with the same layout would be. Resolves when healthy.
   */
  restartOnNewSandbox(): Promise<void>;
  /** Thaws if frozen, SIGTERM, then SIGKILL after the grace period, then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Thrown when the runtime does not become healthy in time or cannot be spawned. */
export class RuntimeStartError extends Error {
  override readonly name = "RuntimeStartError";
  constructor(
    message: string,
    /** Path of the runtime's log file, for debugging. */
    readonly logFile: string,
  ) {
    super(`${message} (log: ${logFile})\n${tail(logFile)}`);
  }
}

/**
 * Starts a real `sandbox-agent` server on 127.0.0.1 with its own temp HOME and XDG_DATA_HOME,
 * the scripted agent installed as `mock`, and resolves once `GET /v1/health` answers 200.
 */
export async function startRuntime(options: StartRuntimeOptions = {}): Promise<RuntimeHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), "durable-agent-runtime-"));
  const keepFiles = options.keepFiles ?? process.env.HARNESS_KEEP_FILES === "1";
  if (!keepFiles) trackDir(dataDir);
  try {
    const runtime = new Runtime(dataDir, options.port ?? (await freePort()), options);
    await runtime.install(options.agentLaunchMode ?? "bundle", options.loadSession ?? false);
    if (options.claude) runtime.installClaude(options.claude);
    await runtime.start();
    return runtime;
  } catch (error) {
    if (!keepFiles) {
      rmSync(dataDir, { recursive: true, force: true });
      untrackDir(dataDir);
    }
    throw error;
  }
}

class Runtime implements RuntimeHandle {
  readonly baseUrl: string;
  readonly token: string;
  readonly logFile: string;
  readonly agentStateDir: string;
  private readonly home: string;
  private readonly xdgDataHome: string;
  private readonly configPath: string;
  private readonly readyTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly keepFiles: boolean;
  private readonly corsArgs: string[];
  private child: ChildProcess | undefined;
  private claudeSandbox: ClaudeSandbox | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private currentPid = 0;
  private frozenPid = 0;

  constructor(
    readonly dataDir: string,
    readonly port: number,
    options: StartRuntimeOptions,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.token = options.token ?? randomBytes(16).toString("hex");
    this.logFile = join(dataDir, "runtime.log");
    this.agentStateDir = join(dataDir, "agent-state");
    this.home = join(dataDir, "home");
    this.xdgDataHome = join(dataDir, "xdg-data");
    this.configPath = join(dataDir, "scripted-agent.json");
    this.readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
    this.stopGraceMs = options.stopGraceMs ?? 2_000;
    this.keepFiles = options.keepFiles ?? process.env.HARNESS_KEEP_FILES === "1";
    this.corsArgs = corsArgs(options.corsAllowOrigin);
    for (const dir of [this.agentStateDir, this.home, this.xdgDataHome]) mkdirSync(dir, { recursive: true });
  }

  get pid(): number {
    return this.currentPid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async install(mode: AgentLaunchMode, loadSession: boolean): Promise<void> {
    this.configureAgent({ loadSession });
    await writeAgentLauncher({
      xdgDataHome: this.xdgDataHome,
      configPath: this.configPath,
      workDir: this.dataDir,
      mode,
    });
  }

  get claude(): ClaudeSandbox | undefined {
    return this.claudeSandbox;
  }

  installClaude(model: { modelBaseUrl: string; apiKey?: string }): void {
    const sandbox = makeClaudeSandbox(join(this.dataDir, "claude"));
    const envFile = join(this.dataDir, "claude-agent.env");
    writeClaudeEnvFile(envFile, { ...model, sandbox });
    writeClaudeLauncher({ xdgDataHome: this.xdgDataHome, envFile });
    this.claudeSandbox = sandbox;
  }

  configureAgent(config: AgentConfigUpdate): void {
    if (typeof config?.loadSession !== "boolean") throw new TypeError("configureAgent needs { loadSession: boolean }");
    writeScriptedAgentConfig(this.configPath, { loadSession: config.loadSession, stateDir: this.agentStateDir });
  }

  get frozen(): boolean {
    return this.frozenPid !== 0 && this.frozenPid === this.currentPid && this.running;
  }

  groupPids(): number[] {
    return this.currentPid === 0 ? [] : pidsInGroup(this.currentPid);
  }

  async freeze(): Promise<void> {
    if (!this.running) throw new Error("freeze(): the runtime is not running");
    const pid = this.currentPid;
    this.frozenPid = pid;
    signalPids([pid], "SIGSTOP");
    await waitStopped([pid], true);
  }

  async thaw(): Promise<void> {
    const pid = this.frozenPid;
    this.frozenPid = 0;
    if (pid === 0) return;
    signalPids([pid], "SIGCONT");
    await waitStopped([pid], false);
  }

  /** Spawns the server and waits for health; retries while the port is still being released. */
  async start(): Promise<void> {
    try {
      chmodSync(SANDBOX_AGENT_BIN, 0o755);
    } catch {
      // Read-only install: spawning will tell if the bit is really missing.
    }
    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      this.spawnOnce();
      const outcome = await this.waitHealthy(deadline);
      if (outcome === "ready") return;
      await this.kill();
      if (outcome === "timeout" || Date.now() >= deadline) {
        throw new RuntimeStartError(`sandbox-agent not healthy on port ${this.port} within ${this.readyTimeoutMs} ms`, this.logFile);
      }
      await delay(100);
    }
  }

  private spawnOnce(): void {
    const log = openSync(this.logFile, "a");
    try {
      const child = spawn(
        SANDBOX_AGENT_BIN,
        ["server", "-H", "127.0.0.1", "-p", String(this.port), "--token", this.token, "--no-telemetry", ...this.corsArgs],
        {
          detached: true,
          stdio: ["ignore", log, log],
          env: {
            ...process.env,
            HOME: this.home,
            XDG_DATA_HOME: this.xdgDataHome,
            XDG_CONFIG_HOME: join(this.home, ".config"),
            XDG_CACHE_HOME: join(this.home, ".cache"),
            XDG_STATE_HOME: join(this.home, ".local/state"),
          },
        },
      );
      if (child.pid === undefined) throw new RuntimeStartError("could not spawn sandbox-agent", this.logFile);
      this.child = child;
      this.currentPid = child.pid;
      trackGroup(child.pid);
      this.exited = new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("exit", () => resolve());
      });
      child.once("error", () => undefined);
    } finally {
      closeSync(log);
    }
  }

  private async waitHealthy(deadline: number): Promise<"ready" | "exited" | "timeout"> {
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    while (Date.now() < deadline) {
      if (exited) return "exited";
      try {
        const res = await fetch(`${this.baseUrl}/v1/health`, {
          headers: { authorization: `Bearer ${this.token}` },
          signal: AbortSignal.timeout(1_000),
        });
        await res.body?.cancel();
        if (res.status === 200) return "ready";
      } catch {
        // Not listening yet.
      }
      await delay(20);
    }
    return "timeout";
  }

  async kill(): Promise<void> {
    const pgid = this.currentPid;
    if (pgid === 0) return;
    // SIGKILL ends a stopped process too: no need to thaw first.
    this.frozenPid = 0;
    signalGroup(pgid, "SIGKILL");
    await this.exited;
    await waitGroupGone(pgid, 5_000);
    untrackGroup(pgid);
  }

  async restart(): Promise<void> {
    if (this.stopping !== undefined) throw new Error("restart() after stop()");
    await this.kill();
    await this.start();
  }

  async restartOnNewSandbox(): Promise<void> {
    if (this.stopping !== undefined) throw new Error("restartOnNewSandbox() after stop()");
    await this.kill();
    rmSync(this.agentStateDir, { recursive: true, force: true });
    mkdirSync(this.agentStateDir, { recursive: true });
    if (this.claudeSandbox) wipeClaudeSandbox(this.claudeSandbox);
    await this.start();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const pgid = this.currentPid;
      if (pgid !== 0 && this.running) {
        // A stopped process would hold SIGTERM pending until the grace period ran out.
        if (this.frozen) await this.thaw().catch(() => undefined);
        signalGroup(pgid, "SIGTERM");
        await Promise.race([this.exited, delay(this.stopGraceMs)]);
      }
      await this.kill();
      if (!this.keepFiles) {
        rmSync(this.dataDir, { recursive: true, force: true });
        untrackDir(this.dataDir);
      }
    })();
    return this.stopping;
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}

/** Pids of live (non-zombie) processes whose process group is `pgid`, read from /proc. */
export function pidsInGroup(pgid: number): number[] {
  return findPids((stat) => stat.pgrp === pgid);
}

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pidsInGroup(pgid).length > 0 && Date.now() < deadline) {
    signalGroup(pgid, "SIGKILL");
    await delay(10);
  }
}

/** What the browser client sends cross-origin: its methods and request headers. */
const CORS_METHODS = ["GET", "POST", "DELETE"];
const CORS_HEADERS = ["authorization", "content-type", "accept", "last-event-id"];

/** Server flags allowing `origin` to call the runtime from a page; none without an origin. */
function corsArgs(origin: string | undefined): string[] {
  if (origin === undefined) return [];
  if (typeof origin !== "string" || !/^https?:\/\/[^/\s]+$/.test(origin)) {
    throw new TypeError(`corsAllowOrigin must be an origin like http://127.0.0.1:8080, got ${JSON.stringify(origin)}`);
  }
  return [
    "--cors-allow-origin",
    origin,
    ...CORS_METHODS.flatMap((method) => ["--cors-allow-method", method]),
    ...CORS_HEADERS.flatMap((header) => ["--cors-allow-header", header]),
  ];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-20).join("\n");
  } catch {
    return "";
  }
}
