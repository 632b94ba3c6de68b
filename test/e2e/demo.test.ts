import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileSessionPersistDriver } from "../../drivers/file.js";
import { RedisSessionPersistDriver } from "../../drivers/redis.js";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { isProcessAlive, pidsInGroup, REPO_ROOT } from "../../harness/index.js";
import { allEvents, isGapFree } from "../support/client.js";
import { explainRun, runDemo as runDemoWithin, type DemoRun } from "../support/demo-run.js";
import { redisUrl } from "../support/redis.js";

// `npm run demo` as a user (or CI) runs it: bash scripts/demo.sh in a child process, no terminal.

const RUN_TIMEOUT_MS = 90_000;

/** Runs the demo within {@link RUN_TIMEOUT_MS}; `onStdout` may act on the output so far (e.g. interrupt it). */
const runDemo = (args: string[], onStdout?: Parameters<typeof runDemoWithin>[2]) => runDemoWithin(args, RUN_TIMEOUT_MS, onStdout);

/** Every runtime pid the demo printed ("..., pid 123"). */
function runtimePids(stdout: string): number[] {
  return [...stdout.matchAll(/\bpid (\d+)$/gm)].map((m) => Number(m[1]));
}

describe("npm run demo (scripts/demo.sh)", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-demo-test-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("runs every step on a SQLite file, leaves the whole history in it, and stops the runtime", { timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
    const file = join(tempDir(), "demo.db");
    const run = await runDemo(["--store", `sqlite:${file}`]);
    expect(run.code, explainRun(run)).toBe(0);
    const out = run.stdout;
    expect(out).toContain(`store: sqlite:${file}`);
    expect(out).toContain("agent> echo: Remember the code word: pineapple.");
    expect(out).toMatch(/restored after the runtime restart: replay/);
    expect(out).toContain("| User: Remember the code word: pineapple.");
    expect(out).toMatch(/agent's report: turn 1, priorTurns 0, replay true, replayChars [1-9]\d*/);
    expect(out).toMatch(/resumed in a fresh client: replay/);
    expect(out).toMatch(/resumed in a fresh client: load/);
    expect(out).toMatch(/loaded true/);
    expect(out).toMatch(/eventIndex 0\.\.\d+: gap-free/);
    expect(out).toMatch(/Demo complete in \d+ ms/);
    expect(out).not.toMatch(/\u001b\[/); // no colours without a terminal

    // The runtime (before and after its restart) is gone.
    const pids = runtimePids(out);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    for (const pid of pids) {
      expect(isProcessAlive(pid), `runtime pid ${pid} still alive`).toBe(false);
      expect(pidsInGroup(pid), `processes left in the runtime's group ${pid}`).toEqual([]);
    }

    // What the demo says it stored is really in the file, gap-free.
    const sessionId = /create session "(demo-[0-9a-f]+)"/.exec(out)?.[1];
    expect(sessionId).toBeDefined();
    const stored = Number(/: (\d+) events stored/.exec(out)?.[1]);
    const driver = new SQLiteSessionPersistDriver({ filename: file });
    try {
      const events = await allEvents(driver, sessionId!);
      expect(events.length).toBe(stored);
      expect(isGapFree(events)).toBe(true);
      expect(new Set(events.map((e) => e.connectionId)).size).toBe(4);
    } finally {
      await driver.close();
    }
  });

  it.each([
    ["a directory of plain files", () => `file:${join(tempDir(), "sessions")}`, (store: string) => new FileSessionPersistDriver({ directory: store.slice("file:".length) })],
    ["Redis", () => redisUrl(), (store: string) => new RedisSessionPersistDriver({ url: store })],
  ])("runs every step on %s and leaves the whole history there", { timeout: RUN_TIMEOUT_MS + 10_000 }, async (_name, makeStore, open) => {
    const store = makeStore();
    const run = await runDemo(["--store", store, "--skip-load"]);
    expect(run.code, explainRun(run)).toBe(0);
    expect(run.stdout).toMatch(/resumed in a fresh client: replay/);
    const sessionId = /create session "(demo-[0-9a-f]+)"/.exec(run.stdout)?.[1];
    const stored = Number(/: (\d+) events stored/.exec(run.stdout)?.[1]);
    const driver = open(store);
    try {
      const events = await allEvents(driver, sessionId!);
      expect(events.length).toBe(stored);
      expect(isGapFree(events)).toBe(true);
      await driver.deleteSession(sessionId!);
    } finally {
      await driver.close();
    }
  });

  it("runs on the in-memory store without the session/load round", { timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
    const run = await runDemo(["--store", "memory", "--skip-load"]);
    expect(run.code, explainRun(run)).toBe(0);
    expect(run.stdout).toContain("store: memory");
    expect(run.stdout).toMatch(/restored after the runtime restart: replay/);
    expect(run.stdout).toMatch(/resumed in a fresh client: replay/);
    expect(run.stdout).not.toMatch(/resumed in a fresh client: load/);
    expect(run.stdout).toMatch(/gap-free/);
  });

  it("runs the getting-started example (examples/demo/quickstart.ts)", { timeout: RUN_TIMEOUT_MS }, async () => {
    const run = await new Promise<DemoRun>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", "examples/demo/quickstart.ts"], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (data: string) => (stdout += data));
      child.stderr.setEncoding("utf8").on("data", (data: string) => (stderr += data));
      child.once("error", reject);
      child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    expect(run.code, explainRun(run)).toBe(0);
    expect(run.stdout).toContain("echo: hello");
    expect(run.stdout).toContain("echo: still there?");
    expect(run.stdout).toContain("restored by: replay");
    expect(run.stdout).toMatch(/\d+ events stored, eventIndex 0\.\.\d+/);
  });

  it("runs against an ACP server over WebSocket with --runtime acp-ws", { timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
    const run = await runDemo(["--runtime", "acp-ws", "--store", "memory"]);
    expect(run.code, explainRun(run)).toBe(0);
    expect(run.stdout).toMatch(/ACP WebSocket server .* at ws:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/restored after the runtime restart: replay/);
    expect(run.stdout).toMatch(/resumed in a fresh client: replay/);
    expect(run.stdout).toMatch(/resumed in a fresh client: load/);
    expect(run.stdout).toMatch(/gap-free/);
  });

  it("documents its flags with --help", async () => {
    const run = await runDemo(["--help"]);
    expect(run.code, explainRun(run)).toBe(0);
    for (const flag of ["--store", "--runtime", "--keep", "--skip-load", "sqlite:<path>", "postgres://", "sandbox-agent"]) {
      expect(run.stdout).toContain(flag);
    }
  });

  it("refuses bad options with exit code 2 and a clear message, starting nothing", async () => {
    const unknown = await runDemo(["--store", "mongodb://x"]);
    expect(unknown.code, explainRun(unknown)).toBe(2);
    expect(unknown.stderr).toContain('unknown store "mongodb://x"');
    expect(unknown.stdout).not.toContain("Start the runtime");

    const browser = await runDemo(["--store", "indexeddb"]);
    expect(browser.code, explainRun(browser)).toBe(2);
    expect(browser.stderr).toMatch(/runs only in a browser/);

    const runtime = await runDemo(["--runtime", "nope"]);
    expect(runtime.code, explainRun(runtime)).toBe(2);
    expect(runtime.stderr).toContain('unknown runtime "nope"');

    const flag = await runDemo(["--frobnicate"]);
    expect(flag.code, explainRun(flag)).toBe(2);
    expect(flag.stderr).toContain("--frobnicate");
  });

  it("stops the runtime and removes its temporary store when interrupted (SIGINT)", { timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
    let interrupted = false;
    const run = await runDemo([], (stdout, child) => {
      // Interrupt once the session exists (the runtime and an agent process are running).
      if (!interrupted && /agent session [0-9a-f-]+/.test(stdout)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    expect(interrupted, explainRun(run)).toBe(true);
    expect(run.code, explainRun(run)).toBe(130);
    expect(run.stdout).toContain("SIGINT received");
    const pids = runtimePids(run.stdout);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) {
      expect(isProcessAlive(pid), `runtime pid ${pid} still alive`).toBe(false);
      expect(pidsInGroup(pid), `processes left in the runtime's group ${pid}`).toEqual([]);
    }
    const storeFile = /store: sqlite:(\S+) \(temporary/.exec(run.stdout)?.[1];
    expect(storeFile).toBeDefined();
    expect(existsSync(storeFile!)).toBe(false);
  });
});
