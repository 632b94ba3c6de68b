import type { SessionPersistDriver } from "../src/persist/types.js";

// The shapes every part of the harness shares: metrics, workloads, drivers, raw engines.

/** Which raw-engine figure a metric is compared with (see bench/raw/). */
export type RawBaselineKey = "single" | "batch";

/** One measured figure of one run. */
export interface Metric {
  /** Stable key within its workload, e.g. `"throughput"` or `"lastPageMs"`. */
  key: string;
  /** Column heading in the printed table. */
  label: string;
  /** The figure. */
  value: number;
  /** Unit shown next to the figure (`x`: a ratio to a baseline row of the same table). */
  unit: "ev/s" | "rec/s" | "ms" | "MB" | "KB" | "x";
  /** Whether a larger figure is better (throughput) or worse (latency, memory). */
  better: "higher" | "lower";
  /** Raw-engine figures this one is also shown as a ratio to (driver / raw, both in ev/s). */
  baselines?: RawBaselineKey[];
}

/** Sizes of every workload after `BENCH_SCALE` is applied. */
export interface BenchScale {
  /** The factor itself (1 = the sizes of the issues' targets). */
  factor: number;
  /** Scale a count, never below `min` (default 1). */
  n(count: number, min?: number): number;
}

/** Called by a workload between steps it measures (after each page, say), so a memory probe can sample. */
export type Probe = () => void;

/** A fresh, empty store produced by a {@link DriverFactory}. */
export interface DriverInstance {
  /** The driver under test. */
  driver: SessionPersistDriver;
  /** Close the driver and remove its storage (temp file, schema, database). */
  cleanup(): Promise<void>;
}

/** Context every driver factory and raw engine receives. */
export interface BenchEnvironment {
  /** Connection string of the benchmark's PostgreSQL server, when one runs. */
  postgresUrl?: string;
  /** URL of the benchmark's Redis server, when one runs. */
  redisUrl?: string;
}

/** One driver the bench can run: how to build a fresh store of it. */
export interface DriverFactory {
  /** Short name used in `BENCH_DRIVERS` and in the tables, e.g. `"sqlite"`. */
  name: string;
  /** The class under test, for the table. */
  title: string;
  /** Raw engine its ingest figures are compared with, if any. */
  engine?: RawEngine["name"];
  /** Whether the bench needs a PostgreSQL server for it. */
  needsPostgres?: boolean;
  /** Whether the bench needs a Redis server for it. */
  needsRedis?: boolean;
  /** `undefined` when the driver can run here, otherwise why not (printed as a note). */
  unavailable(): string | undefined;
  /** A fresh, empty store. */
  create(env: BenchEnvironment): Promise<DriverInstance>;
}

/** What a driver workload gets for one run. */
export interface DriverWorkloadContext {
  /** A fresh, empty store of the driver under test. */
  driver: SessionPersistDriver;
  /** The sizes to use. */
  scale: BenchScale;
  /** Call between measured steps; samples memory in the memory child, a no-op otherwise. */
  probe: Probe;
}

/**
 * A workload run against each driver. `prepare` builds the data set (not timed, not counted
 * for memory); `measure` does the timed work and returns its figures. Client-level
 * workloads that drive the SDK with a given driver fit here too.
 */
export interface DriverWorkload<State = unknown> {
  scope: "driver";
  /** Short id, e.g. `"w3"`; also the `BENCH_WORKLOADS` name. */
  id: string;
  /** Heading of its table. */
  title(scale: BenchScale): string;
  /** When true, peak memory of `measure` is also taken in a fresh child process per driver. */
  memory?: boolean;
  /**
   * The optional driver capability the workload measures (e.g. `"agent state"`), when it needs
   * one: it runs only on drivers that have it (every driver of this package does).
   */
  requires?: string;
  /** Build the data set. */
  prepare(ctx: DriverWorkloadContext): Promise<State>;
  /** Do the timed work. */
  measure(ctx: DriverWorkloadContext, state: State): Promise<Metric[]>;
}

/**
 * A workload that does not run once per driver (a prompt round trip through the SDK
 * against a bare ACP client, say). Its rows are named by the workload itself.
 */
export interface StandaloneWorkload {
  scope: "standalone";
  /** Short id, also the `BENCH_WORKLOADS` name. */
  id: string;
  /** Heading of its table. */
  title(scale: BenchScale): string;
  /** `undefined` when it can run here, otherwise why not. */
  unavailable?(): string | undefined;
  /** Whether it runs on the bench's PostgreSQL server (started for it even when no postgres driver is selected). */
  needsPostgres?: boolean;
  /** Whether it runs on the bench's Redis server (started for it even when no redis driver is selected). */
  needsRedis?: boolean;
  /** One run: rows keyed by subject (e.g. `"sdk"`, `"bare ACP"`), each with its figures. */
  run(scale: BenchScale, env: BenchEnvironment): Promise<Record<string, Metric[]>>;
}

/** Any registered workload. */
export type Workload = DriverWorkload<unknown> | StandaloneWorkload;

/** A raw engine doing the ingest work without any driver, for the ratios. */
export interface RawEngine {
  /** Matches {@link DriverFactory.engine}. */
  name: "sqlite" | "postgres" | "indexeddb" | "redis" | "file";
  /** What each figure is, for the table. */
  describe(scale: BenchScale): Record<RawBaselineKey, string>;
  /** `undefined` when it can run here, otherwise why not. */
  unavailable(env: BenchEnvironment): string | undefined;
  /** One run: events per second for each baseline. */
  run(scale: BenchScale, env: BenchEnvironment): Promise<Record<RawBaselineKey, number>>;
}
