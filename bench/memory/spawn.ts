import { spawn } from "node:child_process";
import type { BenchEnvironment, Metric } from "../types.js";
import { repoPath } from "../support/load.js";
import { MEMORY_RESULT_PREFIX } from "./protocol.js";

/** Run the memory child for one driver and workload and return its figures. */
export function measureMemory(driver: string, workload: string, factor: number, env: BenchEnvironment): Promise<Metric[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--expose-gc", "--import", "tsx", repoPath("bench/memory/child.ts"), driver, workload, String(factor)],
      {
        cwd: repoPath("."),
        env: {
          ...process.env,
          ...(env.postgresUrl ? { BENCH_PG_URL: env.postgresUrl } : {}),
          ...(env.redisUrl ? { BENCH_REDIS_URL: env.redisUrl } : {}),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(MEMORY_RESULT_PREFIX));
      if (code !== 0 || !line) {
        reject(new Error(`memory child ${driver}/${workload} exited with ${code}: ${err.trim().split("\n").slice(0, 3).join(" | ")}`));
        return;
      }
      resolve(JSON.parse(line.slice(MEMORY_RESULT_PREFIX.length)) as Metric[]);
    });
  });
}
