import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { WorkerArgs } from "./postgres-worker.js";

// Parent side of the worker processes (postgres-worker.ts, append-worker.ts): start them,
// release them together once all are ready, and collect the JSON line each prints at the end.

const WORKER = fileURLToPath(new URL("./postgres-worker.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** What a worker reports. */
export interface WorkerResult {
  /** Whether it finished without error. */
  ok: boolean;
  /** The error, when it failed (or its raw output when that was not JSON). */
  error?: string;
  /** Ids of the events it wrote to the shared session, in order. */
  written?: string[];
  /** How many times it lost an index to another writer and retried. */
  conflicts?: number;
}

/** Run one PostgreSQL worker per args entry; with more than one, they all start working at the same moment. */
export function runWorkers(argsList: WorkerArgs[]): Promise<WorkerResult[]> {
  const barrier = argsList.length > 1;
  return spawnWorkers(WORKER, argsList.map((args) => ({ ...args, barrier })));
}

/**
 * Run the worker script `file` once per args entry (passed as one JSON argument); each
 * prints "ready" when it waits at its barrier, and all get "go" once all are ready.
 */
export async function spawnWorkers(file: string, argsList: unknown[]): Promise<WorkerResult[]> {
  let ready = 0;
  const children = argsList.map((args) =>
    spawn(process.execPath, ["--import", "tsx", file, JSON.stringify(args)], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] }),
  );
  const results = children.map(
    (child) =>
      new Promise<WorkerResult>((resolve) => {
        let out = "";
        let err = "";
        let counted = false;
        // Counts this worker at the barrier once; the last one releases them all.
        const arrive = () => {
          if (counted) return;
          counted = true;
          if (++ready === children.length) for (const c of children) if (c.exitCode === null) c.stdin.end("go\n");
        };
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("ready\n")) arrive();
        });
        child.stderr.on("data", (chunk: Buffer) => {
          err += chunk.toString();
        });
        child.on("close", () => {
          // A worker that ended before its barrier (it failed to start) must not hold the
          // others there forever: they go on, and its report says what happened.
          arrive();
          const line = out.trim().split("\n").pop() ?? "";
          try {
            resolve(JSON.parse(line) as WorkerResult);
          } catch {
            resolve({ ok: false, error: `${out}\n${err}` });
          }
        });
        child.on("error", (error) => resolve({ ok: false, error: String(error) }));
      }),
  );
  return Promise.all(results);
}
