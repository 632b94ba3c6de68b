import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { readConfig, type BenchConfig } from "./config.js";
import { describeMachine } from "./machine.js";
import { MEMORY_METHOD } from "./memory/protocol.js";
import { measureMemory } from "./memory/spawn.js";
import { RAW_ENGINES } from "./raw/index.js";
import { renderMarkdown, renderText, formatValue } from "./report.js";
import { addError, addRun, computeRatios, type BaselineIndex, type BenchResults } from "./results.js";
import { repoPath } from "./support/load.js";
import { median } from "./support/stats.js";
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from "../harness/index.js";
import type { BenchEnvironment, DriverFactory, DriverWorkload, Metric, RawEngine, StandaloneWorkload } from "./types.js";

// The bench runner (`npm run bench`): every selected workload against every available
// driver, BENCH_RUNS times, interleaved by run so a busy spell hits every driver alike;
// then the raw engine baselines and the peak-memory children. Prints the tables and
// writes bench/results/.

const log = (line: string) => process.stdout.write(`${line}\n`);
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

function summarize(metrics: readonly Metric[]): string {
  return metrics.map((m) => `${m.label} ${formatValue(m.value, m.unit)}`).join(", ");
}

async function runDriverWorkload(factory: DriverFactory, workload: DriverWorkload, config: BenchConfig, env: BenchEnvironment) {
  const instance = await factory.create(env);
  try {
    const ctx = { driver: instance.driver, scale: config.scale, probe: () => {} };
    const state = await workload.prepare(ctx);
    return await workload.measure(ctx, state);
  } finally {
    await instance.cleanup();
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const notes: string[] = [];
  const drivers: DriverFactory[] = [];
  for (const factory of config.drivers) {
    const why = factory.unavailable();
    if (why) notes.push(`${factory.name} skipped: ${why}`);
    else drivers.push(factory);
  }

  const env: BenchEnvironment = {};
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const stopServers = async () => {
    const servers = [postgres, redis];
    postgres = undefined;
    redis = undefined;
    for (const server of servers) await server?.stop();
  };
  const onSignal = () => {
    void stopServers().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const standaloneNeedsPostgres = config.workloads.some((w) => w.scope === "standalone" && w.needsPostgres === true);
  if (drivers.some((d) => d.needsPostgres) || standaloneNeedsPostgres) {
    try {
      postgres = await startPostgres({ durable: true });
      env.postgresUrl = postgres.url;
      log(`PostgreSQL for the bench: ${postgres.url} (fsync on, synchronous_commit on)`);
    } catch (error) {
      notes.push(`postgres skipped: could not start a server (${message(error)})`);
      for (let i = drivers.length - 1; i >= 0; i--) if (drivers[i]?.needsPostgres) drivers.splice(i, 1);
    }
  }
  const standaloneNeedsRedis = config.workloads.some((w) => w.scope === "standalone" && w.needsRedis === true);
  if (drivers.some((d) => d.needsRedis) || standaloneNeedsRedis) {
    try {
      redis = await startRedis({ appendfsync: "everysec" });
      env.redisUrl = redis.url;
      log(`Redis for the bench: ${redis.url} (AOF on, appendfsync everysec)`);
    } catch (error) {
      notes.push(`redis skipped: could not start a server (${message(error)})`);
      for (let i = drivers.length - 1; i >= 0; i--) if (drivers[i]?.needsRedis) drivers.splice(i, 1);
    }
  }

  const engines: RawEngine[] = RAW_ENGINES.filter((engine) => drivers.some((d) => d.engine === engine.name));
  const driverWorkloads = config.workloads.filter((w): w is DriverWorkload => w.scope === "driver");
  const standaloneWorkloads = config.workloads.filter((w): w is StandaloneWorkload => w.scope === "standalone");
  const wantsRaw = driverWorkloads.some((w) => w.id === "w1" || w.id === "w2" || w.id === "batch");

  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: describeMachine(),
    config: {
      runs: config.runs,
      scale: config.scale.factor,
      drivers: drivers.map((d) => d.name),
      workloads: config.workloads.map((w) => w.id),
      memory: config.memory,
      full: config.full,
    },
    notes,
    titles: Object.fromEntries(config.workloads.map((w) => [w.id, w.title(config.scale)])),
    raw: {},
    drivers: Object.fromEntries(drivers.map((d) => [d.name, { title: d.title, engine: d.engine, workloads: {} }])),
    memory: { method: MEMORY_METHOD, drivers: {} },
    standalone: {},
  };
  const baselines: BaselineIndex = new Map();
  const load = Number(results.machine.loadAverage1mAtStart);
  if (load > Number(results.machine.cores)) {
    notes.push(`busy machine: load average ${load} on ${results.machine.cores} cores at start; figures are lower and noisier than on an idle one`);
  }
  for (const note of notes) log(`note: ${note}`);

  try {
    for (let run = 1; run <= config.runs; run++) {
      const tag = `[run ${run}/${config.runs}]`;
      for (const factory of drivers) {
        const byWorkload = results.drivers[factory.name]?.workloads ?? {};
        for (const workload of driverWorkloads) {
          if (byWorkload[workload.id]?.error) continue; // failed before: do not retry every run
          try {
            const metrics = await runDriverWorkload(factory, workload, config, env);
            addRun(byWorkload, workload.id, metrics);
            for (const m of metrics) if (m.baselines) baselines.set(`${workload.id}.${m.key}`, m.baselines);
            log(`${tag} ${factory.name} ${workload.id}: ${summarize(metrics)}`);
          } catch (error) {
            addError(byWorkload, workload.id, error);
            log(`${tag} ${factory.name} ${workload.id}: FAILED ${message(error)}`);
          }
        }
      }
      if (wantsRaw) {
        for (const engine of engines) {
          const entry = (results.raw[engine.name] ??= { baselines: {} });
          const why = engine.unavailable(env);
          if (why) {
            entry.error = why;
            continue;
          }
          try {
            const figures = await engine.run(config.scale, env);
            const described = engine.describe(config.scale);
            for (const key of ["single", "batch"] as const) {
              const b = (entry.baselines[key] ??= { description: described[key], runs: [], median: 0 });
              b.runs.push(figures[key]);
              b.median = median(b.runs);
            }
            log(`${tag} raw ${engine.name}: 1-row ${formatValue(figures.single, "ev/s")} ev/s, batch ${formatValue(figures.batch, "ev/s")} ev/s`);
          } catch (error) {
            entry.error = message(error);
            log(`${tag} raw ${engine.name}: FAILED ${message(error)}`);
          }
        }
      }
      for (const workload of standaloneWorkloads) {
        const entry = (results.standalone[workload.id] ??= { subjects: {} });
        const why = workload.unavailable?.();
        if (why) {
          entry.error = why;
          continue;
        }
        try {
          const bySubject = await workload.run(config.scale, env);
          for (const [subject, metrics] of Object.entries(bySubject)) addRun(entry.subjects, subject, metrics);
          log(`${tag} ${workload.id}: done`);
        } catch (error) {
          entry.error = message(error);
          log(`${tag} ${workload.id}: FAILED ${message(error)}`);
        }
      }
    }

    if (config.memory) {
      for (const factory of drivers) {
        const byWorkload = (results.memory.drivers[factory.name] ??= {});
        for (const workload of driverWorkloads.filter((w) => w.memory)) {
          for (let run = 1; run <= config.runs; run++) {
            try {
              const metrics = await measureMemory(factory.name, workload.id, config.scale.factor, env);
              addRun(byWorkload, workload.id, metrics);
              log(`[memory ${run}/${config.runs}] ${factory.name} ${workload.id}: ${summarize(metrics)}`);
            } catch (error) {
              addError(byWorkload, workload.id, error);
              log(`[memory ${run}/${config.runs}] ${factory.name} ${workload.id}: FAILED ${message(error)}`);
              break;
            }
          }
        }
      }
    }
  } finally {
    await stopServers();
  }

  computeRatios(results, baselines);
  results.machine.loadAverage1mAtEnd = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  log("");
  log(renderText(results));

  const dir = repoPath("bench/results");
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (config.full) {
    const stamp = results.date.replace(/:/g, "-").replace(/\..*$/, "");
    writeFileSync(`${dir}/latest.json`, json);
    writeFileSync(`${dir}/${stamp}.json`, json);
    writeFileSync(`${dir}/latest.md`, renderMarkdown(results));
    log(`Results written to bench/results/latest.json, bench/results/${stamp}.json and bench/results/latest.md`);
  } else {
    writeFileSync(`${dir}/latest.tmp.json`, json);
    log("Partial run (scale, driver or workload selection): results written to bench/results/latest.tmp.json only");
  }
  const failed = Object.values(results.drivers).some((d) => Object.values(d.workloads).some((w) => w.error));
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
