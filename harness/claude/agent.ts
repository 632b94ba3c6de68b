// Claude Code as an ACP agent, offline: the `@zed-industries/claude-agent-acp` adapter (a dev
// dependency; its Claude Code runs under Node) pointed at the loopback fake model, with its own
// config dir. The same set-up serves the sandbox-agent runtime (a `claude-acp` launcher script)
// and the in-process ACP server (one adapter process per connection).
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../paths.js";

/** The agent id under which sandbox-agent runs Claude Code. */
export const CLAUDE_AGENT_ID = "claude";

/** Version of the adapter the harness drives (the pinned dev dependency). */
export const CLAUDE_ADAPTER_VERSION = "0.23.1";

/** Absolute path of the adapter's stdio entry point (`node <this>` speaks ACP on stdin/stdout). */
export const CLAUDE_ADAPTER_ENTRY = join(REPO_ROOT, "node_modules/@zed-industries/claude-agent-acp/dist/index.js");

/** Where one Claude agent keeps its state: what a sandbox holds, and loses when it is lost. */
export interface ClaudeSandbox {
  /** Root of the sandbox's dirs. */
  readonly root: string;
  /** `CLAUDE_CONFIG_DIR`: settings and transcripts (`projects/<cwd slug>/<session id>.jsonl`). */
  readonly configDir: string;
  /** `HOME` of the agent (so nothing of the machine's own `~/.claude` is read). */
  readonly home: string;
  /** A working directory for sessions (`cwd` of `session/new`); tools run there. */
  readonly workspace: string;
}

/** How a Claude agent is run. */
export interface ClaudeAgentSetup {
  /** `ANTHROPIC_BASE_URL`: the fake model's address (or the real API's). */
  readonly modelBaseUrl: string;
  /** `ANTHROPIC_API_KEY`. Default `"fake-key"`: the fake model takes anything. */
  readonly apiKey?: string;
  /** The agent's dirs. */
  readonly sandbox: ClaudeSandbox;
}

/** Creates the sandbox's dirs under `root` (kept when they exist). */
export function makeClaudeSandbox(root: string): ClaudeSandbox {
  const sandbox = { root, configDir: join(root, "claude-config"), home: join(root, "home"), workspace: join(root, "workspace") };
  for (const dir of [sandbox.configDir, sandbox.home, sandbox.workspace]) mkdirSync(dir, { recursive: true });
  return sandbox;
}

/**
 * Loses the sandbox's agent state, as a sandbox replaced by a fresh one would: the config dir
 * (transcripts included) and home are emptied; the workspace is kept so a session's `cwd` still exists.
 */
export function wipeClaudeSandbox(sandbox: ClaudeSandbox): void {
  for (const dir of [sandbox.configDir, sandbox.home]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
}

/** The transcript files Claude Code keeps in the sandbox, one per session: `<session id>.jsonl` paths. */
export function claudeTranscripts(sandbox: ClaudeSandbox): string[] {
  const projects = join(sandbox.configDir, "projects");
  const out: string[] = [];
  let slugs: string[];
  try {
    slugs = readdirSync(projects);
  } catch {
    return out;
  }
  for (const slug of slugs) {
    try {
      for (const file of readdirSync(join(projects, slug))) if (file.endsWith(".jsonl")) out.push(join(projects, slug, file));
    } catch {
      // Not a dir.
    }
  }
  return out;
}

/**
 * Resolves once Claude Code's transcript of `agentSessionId` in the sandbox holds `text`.
 * Claude Code appends to it lazily: a process killed within moments of a turn's end may not
 * have written the turn's end yet, and a later `session/load` then shows that turn interrupted.
 * Rejects after `timeoutMs` (default 10 s).
 */
export async function waitForTranscript(sandbox: ClaudeSandbox, agentSessionId: string, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const file = claudeTranscripts(sandbox).find((path) => path.endsWith(`/${agentSessionId}.jsonl`));
    if (file !== undefined && readFileSync(file, "utf8").includes(text)) return;
    if (Date.now() > deadline) throw new Error(`Claude Code's transcript of ${agentSessionId} does not hold ${JSON.stringify(text)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The variables the adapter needs on top of its parent's environment. `IS_SANDBOX` must be
 * unset (see {@link claudeAgentEnv}); it cannot be expressed here.
 */
export function claudeEnvVars(setup: ClaudeAgentSetup): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: setup.modelBaseUrl,
    ANTHROPIC_API_KEY: setup.apiKey ?? "fake-key",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CONFIG_DIR: setup.sandbox.configDir,
    HOME: setup.sandbox.home,
  };
}

/**
 * The adapter's whole environment: `base` (default `process.env`) with {@link claudeEnvVars},
 * and without `IS_SANDBOX`: set, it makes the adapter pass `--allow-dangerously-skip-permissions`,
 * which Claude Code refuses as root, and `session/new` fails ("Query closed before response received").
 */
export function claudeAgentEnv(setup: ClaudeAgentSetup, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...claudeEnvVars(setup) };
  delete env.IS_SANDBOX;
  return env;
}

/**
 * Spawns the adapter speaking ACP on stdio, in its own process group (so that the adapter and
 * the Claude Code process it starts can be killed together with {@link killProcessGroup}).
 */
export function spawnClaudeAdapter(setup: ClaudeAgentSetup, options: { stderr?: "inherit" | "ignore" | number } = {}): ChildProcess {
  return spawn(process.execPath, [CLAUDE_ADAPTER_ENTRY], {
    cwd: setup.sandbox.workspace,
    env: claudeAgentEnv(setup),
    detached: true,
    stdio: ["pipe", "pipe", options.stderr ?? "ignore"],
  });
}

/** SIGKILLs a process group; false when it no longer exists. */
export function killProcessGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs agent `claude` for a sandbox-agent runtime whose `XDG_DATA_HOME` is `xdgDataHome`:
 * - `<xdg>/sandbox-agent/bin/agent_processes/claude-acp`, the launcher the runtime runs: it
 *   sources `envFile` (written by {@link writeClaudeEnvFile}; read at every spawn, so a test may
 *   point later agents elsewhere), unsets `IS_SANDBOX` and execs the adapter;
 * - `<xdg>/sandbox-agent/bin/claude`, a stub of the native Claude Code binary that answers
 *   `--version`: without it the runtime tries to download one before launching (and fails
 *   offline with `install_failed`). It is never run for ACP.
 * Returns the launcher's path.
 */
export function writeClaudeLauncher(options: { xdgDataHome: string; envFile: string }): string {
  const bin = join(options.xdgDataHome, "sandbox-agent/bin");
  const processes = join(bin, "agent_processes");
  mkdirSync(processes, { recursive: true });
  const launcher = join(processes, `${CLAUDE_AGENT_ID}-acp`);
  writeFileSync(
    launcher,
    [
      "#!/bin/sh",
      "# Claude Code's ACP adapter, offline (durable-agent test harness).",
      `. ${shellQuote(options.envFile)}`,
      "unset IS_SANDBOX",
      `exec ${shellQuote(process.execPath)} ${shellQuote(CLAUDE_ADAPTER_ENTRY)} "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(launcher, 0o755);
  const stub = join(bin, "claude");
  writeFileSync(
    stub,
    [
      "#!/bin/sh",
      "# Stub of the native Claude Code binary: sandbox-agent checks it exists; ACP runs the adapter instead.",
      'if [ "$1" = "--version" ] || [ "$1" = "-v" ]; then echo "2.1.0 (Claude Code)"; exit 0; fi',
      'echo "stub claude: only --version is supported" >&2',
      "exit 1",
      "",
    ].join("\n"),
  );
  chmodSync(stub, 0o755);
  return launcher;
}

/** Writes the shell file the launcher sources: `export NAME='value'` for each of {@link claudeEnvVars}. */
export function writeClaudeEnvFile(envFile: string, setup: ClaudeAgentSetup): void {
  const lines = Object.entries(claudeEnvVars(setup)).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  writeFileSync(envFile, `${lines.join("\n")}\n`);
}

/** Pids of live adapter processes (their command line runs {@link CLAUDE_ADAPTER_ENTRY}), optionally in one process group. */
export function claudeAdapterPids(pgid?: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (!cmdline.split("\0").includes(CLAUDE_ADAPTER_ENTRY)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z") continue;
      if (pgid === undefined || Number(pgrp) === pgid) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
