import { DRIVER_FACTORIES } from "./drivers.js";
import type { BenchScale, DriverFactory, Workload } from "./types.js";
import { WORKLOADS } from "./workloads/index.js";

// The bench's settings, from the environment:
//   BENCH_RUNS=3            runs per figure (the median is reported)
//   BENCH_SCALE=1           factor applied to every workload's size (0.05 for quick iteration)
//   BENCH_DRIVERS=a,b       drivers to run (default: all whose file exists)
//   BENCH_WORKLOADS=w1,w3   workloads to run (default: all)
//   BENCH_MEMORY=0          skip the peak-memory child processes

/** The resolved settings of one bench invocation. */
export interface BenchConfig {
  runs: number;
  scale: BenchScale;
  drivers: readonly DriverFactory[];
  workloads: readonly Workload[];
  memory: boolean;
  /** True when this is the full bench (scale 1, every driver and workload): results are published. */
  full: boolean;
}

/** A scale object for `factor`. */
export function makeScale(factor: number): BenchScale {
  return { factor, n: (count, min = 1) => Math.max(min, Math.round(count * factor)) };
}

function list(value: string | undefined): string[] | undefined {
  const names = value?.split(",").map((s) => s.trim()).filter(Boolean);
  return names && names.length > 0 ? names : undefined;
}

function pick<T extends { name?: string; id?: string }>(all: readonly T[], names: string[] | undefined, what: string): T[] {
  if (!names) return [...all];
  return names.map((name) => {
    const found = all.find((item) => (item.name ?? item.id) === name);
    if (!found) {
      const known = all.map((item) => item.name ?? item.id).join(", ");
      throw new Error(`unknown ${what} "${name}" (known: ${known})`);
    }
    return found;
  });
}

/** Read the settings from `env`; throws on a malformed value. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const runs = Number(env.BENCH_RUNS ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a positive integer, got "${env.BENCH_RUNS}"`);
  const factor = Number(env.BENCH_SCALE ?? 1);
  if (!Number.isFinite(factor) || factor <= 0 || factor > 10) {
    throw new Error(`BENCH_SCALE must be a number in (0, 10], got "${env.BENCH_SCALE}"`);
  }
  const driverNames = list(env.BENCH_DRIVERS);
  const workloadNames = list(env.BENCH_WORKLOADS);
  return {
    runs,
    scale: makeScale(factor),
    drivers: pick(DRIVER_FACTORIES, driverNames, "driver"),
    workloads: pick(WORKLOADS, workloadNames, "workload"),
    memory: env.BENCH_MEMORY !== "0",
    full: factor === 1 && !driverNames && !workloadNames && env.BENCH_MEMORY !== "0",
  };
}
