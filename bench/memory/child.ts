import { makeScale } from "../config.js";
import { driverFactory } from "../drivers.js";
import type { DriverWorkload, Metric } from "../types.js";
import { WORKLOADS } from "../workloads/index.js";
import { MEMORY_RESULT_PREFIX } from "./protocol.js";

// Run in a fresh process per (driver, workload): build the workload's data set, force a
// GC, take that as the baseline, then run the measured part while sampling heapUsed and
// RSS at every probe() and every 5 ms. Prints the peak growth above the baseline.
// Usage: node --expose-gc --import tsx bench/memory/child.ts <driver> <workload> <scale>

const MB = 2 ** 20;

async function main(): Promise<void> {
  const [driverName = "", workloadId = "", factorText = "1"] = process.argv.slice(2);
  const factory = driverFactory(driverName);
  const workload = WORKLOADS.find((w) => w.id === workloadId);
  if (!factory || !workload || workload.scope !== "driver") throw new Error(`unknown driver/workload ${driverName}/${workloadId}`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");

  const scale = makeScale(Number(factorText));
  const instance = await factory.create({ postgresUrl: process.env.BENCH_PG_URL, redisUrl: process.env.BENCH_REDIS_URL });
  try {
    const ctx = { driver: instance.driver, scale, probe: () => {} };
    const state = await (workload as DriverWorkload).prepare(ctx);
    gc();
    gc();
    const base = process.memoryUsage();
    let peakHeap = base.heapUsed;
    let peakRss = base.rss;
    const sample = () => {
      const now = process.memoryUsage();
      if (now.heapUsed > peakHeap) peakHeap = now.heapUsed;
      if (now.rss > peakRss) peakRss = now.rss;
    };
    const timer = setInterval(sample, 5);
    try {
      await (workload as DriverWorkload).measure({ ...ctx, probe: sample }, state);
      sample();
    } finally {
      clearInterval(timer);
    }
    const metrics: Metric[] = [
      { key: "peakHeapMB", label: "peak heap +MB", value: (peakHeap - base.heapUsed) / MB, unit: "MB", better: "lower" },
      { key: "peakRssMB", label: "peak RSS +MB", value: (peakRss - base.rss) / MB, unit: "MB", better: "lower" },
    ];
    process.stdout.write(`${MEMORY_RESULT_PREFIX}${JSON.stringify(metrics)}\n`);
  } finally {
    await instance.cleanup();
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
