import type { Metric, RawBaselineKey } from "./types.js";
import { median } from "./support/stats.js";

// The results of one bench invocation: every run's figures, their medians and the ratios
// to the raw engines. This is what bench/results/*.json holds.

/** One figure over all runs. */
export interface MetricResult {
  label: string;
  unit: Metric["unit"];
  better: Metric["better"];
  /** Each run's value, in run order. */
  runs: number[];
  /** Median of `runs`. */
  median: number;
  /** Median divided by the raw engine's median, per baseline (drivers with an engine only). */
  ratios?: Partial<Record<RawBaselineKey, number>>;
}

/** One workload's figures for one subject (a driver, or a standalone workload's row). */
export interface WorkloadResult {
  metrics: Record<string, MetricResult>;
  /** Set when a run failed; the figures then hold the runs before the failure. */
  error?: string;
}

/** One raw-engine baseline. */
export interface RawResult {
  description: string;
  runs: number[];
  median: number;
}

/** The whole JSON document. */
export interface BenchResults {
  date: string;
  machine: Record<string, string | number>;
  config: { runs: number; scale: number; drivers: string[]; workloads: string[]; memory: boolean; full: boolean };
  notes: string[];
  /** Workload headings, by workload id. */
  titles: Record<string, string>;
  /** Raw engines: baselines by engine name, or the reason they did not run. */
  raw: Record<string, { baselines: Partial<Record<RawBaselineKey, RawResult>>; error?: string }>;
  /** Driver workloads: by driver name, then workload id. */
  drivers: Record<string, { title: string; engine?: string; workloads: Record<string, WorkloadResult> }>;
  /** Peak memory: how it was measured, and by driver name then workload id. */
  memory: { method: string; drivers: Record<string, Record<string, WorkloadResult>> };
  /** Standalone workloads: by workload id, then subject. */
  standalone: Record<string, { subjects: Record<string, WorkloadResult>; error?: string }>;
}

/** Append one run's metrics to a workload result (created on first use). */
export function addRun(target: Record<string, WorkloadResult>, id: string, metrics: readonly Metric[]): void {
  const result = (target[id] ??= { metrics: {} });
  for (const m of metrics) {
    const entry = (result.metrics[m.key] ??= { label: m.label, unit: m.unit, better: m.better, runs: [], median: 0 });
    entry.runs.push(m.value);
    entry.median = median(entry.runs);
  }
}

/** Record a failure of a workload for one subject (keeps the first message). */
export function addError(target: Record<string, WorkloadResult>, id: string, error: unknown): void {
  const result = (target[id] ??= { metrics: {} });
  result.error ??= error instanceof Error ? error.message : String(error);
}

/** Metric baselines declared by a run, remembered so ratios can be computed at the end. */
export type BaselineIndex = Map<string, RawBaselineKey[]>;

/** Fill in every driver metric's ratios to its engine's raw medians. */
export function computeRatios(results: BenchResults, baselines: BaselineIndex): void {
  for (const driver of Object.values(results.drivers)) {
    const raw = driver.engine ? results.raw[driver.engine]?.baselines : undefined;
    if (!raw) continue;
    for (const [workloadId, workload] of Object.entries(driver.workloads)) {
      for (const [key, metric] of Object.entries(workload.metrics)) {
        for (const baseline of baselines.get(`${workloadId}.${key}`) ?? []) {
          const rawMedian = raw[baseline]?.median;
          if (rawMedian) (metric.ratios ??= {})[baseline] = metric.median / rawMedian;
        }
      }
    }
  }
}
