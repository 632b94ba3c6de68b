import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

// RivetKit's registry starts a local engine (a Rust process that stores actor state and
// databases) and leaves it running when the process exits, by design. Each test file gets
// its own: storage in a temporary directory (RIVETKIT_STORAGE_PATH) and a free port, and the
// engine is stopped by its pid (from the runtime.json it writes) when the file is done.

/** The engine of one test file. */
export interface RivetEngine {
  /** Port for `setup({ enginePort })`. */
  port: number;
  /** The storage directory (the engine's database is under `.rivetkit/var/engine`). */
  storage: string;
  /** Stop the engine this file started (if any) and remove its storage. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The pid of the engine that serves `storage`, when it started. */
function enginePid(storage: string): number | undefined {
  try {
    const stamp = JSON.parse(readFileSync(join(storage, ".rivetkit", "var", "engine", "runtime.json"), "utf8")) as { pid?: unknown };
    return typeof stamp.pid === "number" ? stamp.pid : undefined;
  } catch {
    return undefined;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stop the engine process `pid`: SIGTERM, then SIGKILL after 5 s. */
export async function stopEnginePid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  for (let waited = 0; waited < 5000 && alive(pid); waited += 50) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

/**
 * Point RivetKit at a fresh storage directory and a free port. Call before the registry
 * starts (before `setupTest`), and `stop()` in `afterAll`.
 */
export async function prepareRivetEngine(): Promise<RivetEngine> {
  const storage = mkdtempSync(join(tmpdir(), "durable-agent-rivet-"));
  process.env.RIVETKIT_STORAGE_PATH = storage;
  process.env.RIVET_LOG_LEVEL ??= "error";
  const port = await freePort();
  return {
    port,
    storage,
    async stop() {
      const pid = enginePid(storage);
      if (pid !== undefined) await stopEnginePid(pid);
      rmSync(storage, { recursive: true, force: true });
    },
  };
}

/** The pid of the running engine of `engine`, for tests that stop it on purpose. */
export function runningEnginePid(engine: RivetEngine): number | undefined {
  return enginePid(engine.storage);
}

/**
 * What `setupTest` from `rivetkit/test` needs of a test context, for a registry started once
 * per file (in `beforeAll`): the client's disposal is kept and run by `dispose()` in `afterAll`.
 */
export function fileScopedTestContext(): { context: { onTestFinished(fn: () => Promise<void> | void): void }; dispose(): Promise<void> } {
  const finishers: (() => Promise<void> | void)[] = [];
  return {
    context: { onTestFinished: (fn) => void finishers.push(fn) },
    async dispose() {
      for (const fn of finishers.splice(0)) await fn();
    },
  };
}
