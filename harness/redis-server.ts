import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDebianPackage } from "./debian.js";
import { freePort } from "./runtime.js";

// A throwaway Redis server for the test run and the bench: `redis-server` (Debian package,
// installed when absent and allowed) started in the foreground as a child process on a free
// loopback port, its pid tracked, stopped with SIGTERM (SIGKILL if it lingers) and its
// directory removed afterwards. Never daemonized: the child's pid is the server's pid.

const BINARY = "/usr/bin/redis-server";

/** A running test server. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** The server's pid. */
  pid: number;
  /** The server's data directory (AOF and RDB files). */
  dir: string;
  /** SIGKILL the server (a crash: nothing flushed on the way out) and keep its directory. */
  kill(): Promise<void>;
  /** Stop the server (SIGTERM, then SIGKILL after 5 s) and delete its directory (unless it was given in the options). */
  stop(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /**
   * Turn the append-only file on with this fsync policy (the bench's figures claim
   * durability); default: no persistence at all (tests).
   */
  appendfsync?: "always" | "everysec";
  /** Run on this data directory (a server restarted after {@link RedisServer.kill}); it is left in place by `stop()`. */
  dir?: string;
}

/** The server binary, installing the Debian package when absent and allowed (harness/debian.ts). */
function binary(): string {
  ensureDebianPackage("redis-server", () => existsSync(BINARY));
  return BINARY;
}

/** Resolve once the server logs that it accepts connections; reject when it exits first. */
function ready(child: ChildProcess, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start in 20 s:\n${log()}`)), 20_000);
    const onData = () => {
      if (!log().includes("Ready to accept connections")) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      resolve();
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${log()}`));
    });
  });
}

/** Wait for `child` to exit, SIGKILL after `ms`. */
function exited(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Start a fresh server on a free loopback port; resolves once it accepts connections. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const bin = binary();
  const given = options.dir !== undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "durable-agent-redis-")));
  const removeDir = () => (given ? Promise.resolve() : rm(dir, { recursive: true, force: true }));
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--daemonize", "no"];
    args.push("--logfile", "", "--maxmemory-policy", "noeviction");
    if (options.appendfsync) args.push("--appendonly", "yes", "--appendfsync", options.appendfsync);
    else args.push("--appendonly", "no");
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      await ready(child, () => output);
    } catch (error) {
      lastError = error; // most likely the port was taken in between: try another one
      child.kill("SIGKILL");
      await exited(child, 1000);
      continue;
    }
    const pid = child.pid as number;
    // Should the process exit without calling stop() (a crashed run), still take the server down.
    const onExit = () => {
      child.kill("SIGKILL");
    };
    process.once("exit", onExit);
    let stopped = false;
    return {
      url: `redis://127.0.0.1:${port}`,
      pid,
      dir,
      async kill() {
        process.off("exit", onExit);
        child.kill("SIGKILL");
        await exited(child, 5000);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        process.off("exit", onExit);
        child.kill("SIGTERM");
        await exited(child, 5000);
        await removeDir();
      },
    };
  }
  await removeDir();
  throw new Error(`redis-server did not start: ${String(lastError)}`);
}
