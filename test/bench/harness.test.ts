import { describe, expect, it } from "vitest";
import { makeScale, readConfig } from "../../bench/config.js";
import { renderMarkdown, renderText } from "../../bench/report.js";
import { addRun, computeRatios, type BenchResults } from "../../bench/results.js";
import { median } from "../../bench/support/stats.js";
import type { DriverWorkload, Metric } from "../../bench/types.js";
import { WORKLOADS } from "../../bench/workloads/index.js";
import { InMemorySessionPersistDriver } from "../../src/persist/memory.js";
import type {
  ListEventsRequest,
  ListPageRequest,
  SessionEvent,
  SessionPersistDriver,
  SessionRecord,
} from "../../src/persist/types.js";
import { MinimalDriver } from "../support/minimal-driver.js";

// The bench harness itself: its settings, its arithmetic, and that every workload runs to
// completion (and checks what it read) on a driver with every capability and on one with
// only the five base methods. Sizes are tiny; nothing here is timed.

const tiny = makeScale(0.01);

async function runWorkload(workload: DriverWorkload, driver: SessionPersistDriver): Promise<Metric[]> {
  const ctx = { driver, scale: tiny, probe: () => {} };
  return workload.measure(ctx, await workload.prepare(ctx));
}

describe("bench settings", () => {
  it("defaults to 3 runs at scale 1 over every driver and workload, which is a full run", () => {
    const config = readConfig({});
    expect(config.runs).toBe(3);
    expect(config.scale.factor).toBe(1);
    expect(config.drivers.map((d) => d.name)).toEqual(["memory", "sqlite", "sqlite-encrypted", "postgres", "indexeddb", "redis", "file"]);
    expect(config.workloads.map((w) => w.id)).toEqual(WORKLOADS.map((w) => w.id));
    expect(config.full).toBe(true);
  });

  it("selects drivers and workloads by name, and a selection is not a full run", () => {
    const config = readConfig({ BENCH_DRIVERS: "sqlite,memory", BENCH_WORKLOADS: "w4", BENCH_SCALE: "0.1", BENCH_RUNS: "5" });
    expect(config.drivers.map((d) => d.name)).toEqual(["sqlite", "memory"]);
    expect(config.workloads.map((w) => w.id)).toEqual(["w4"]);
    expect(config.runs).toBe(5);
    expect(config.scale.n(20_000)).toBe(2_000);
    expect(config.full).toBe(false);
  });

  it("rejects malformed settings and unknown names", () => {
    expect(() => readConfig({ BENCH_RUNS: "0" })).toThrow(/BENCH_RUNS/);
    expect(() => readConfig({ BENCH_RUNS: "two" })).toThrow(/BENCH_RUNS/);
    expect(() => readConfig({ BENCH_SCALE: "-1" })).toThrow(/BENCH_SCALE/);
    expect(() => readConfig({ BENCH_DRIVERS: "mongo" })).toThrow(/unknown driver "mongo"/);
    expect(() => readConfig({ BENCH_WORKLOADS: "w9" })).toThrow(/unknown workload "w9"/);
  });

  it("never scales a size below its minimum", () => {
    expect(makeScale(0.0001).n(1_000, 50)).toBe(50);
    expect(makeScale(0.0001).n(1_000)).toBe(1);
  });
});

describe("bench arithmetic", () => {
  it("takes the median of odd and even counts", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  it("reports medians over runs and ratios to the raw engine's median", () => {
    const results: BenchResults = {
      date: "2025-01-01T00:00:00.000Z",
      machine: { cpu: "test cpu", cores: 2, ramGiB: 4, node: "v20", os: "linux", loadAverage1mAtStart: 0 },
      config: { runs: 3, scale: 1, drivers: ["sqlite"], workloads: ["w1"], memory: false, full: false },
      notes: ["postgres skipped: test"],
      titles: { w1: "W1 sequential ingest" },
      raw: {
        sqlite: {
          baselines: {
            single: { description: "autocommit", runs: [100, 300, 200], median: 200 },
            batch: { description: "one transaction", runs: [1000], median: 1000 },
          },
        },
      },
      drivers: { sqlite: { title: "SQLite", engine: "sqlite", workloads: {} } },
      memory: { method: "test", drivers: {} },
      standalone: {},
    };
    const byWorkload = results.drivers.sqlite!.workloads;
    for (const value of [400, 100, 500]) {
      addRun(byWorkload, "w1", [{ key: "throughput", label: "ev/s", value, unit: "ev/s", better: "higher" }]);
    }
    computeRatios(results, new Map([["w1.throughput", ["single", "batch"]]]));
    const metric = byWorkload.w1!.metrics.throughput!;
    expect(metric.runs).toEqual([400, 100, 500]);
    expect(metric.median).toBe(400);
    expect(metric.ratios).toEqual({ single: 2, batch: 0.4 });

    const text = renderText(results);
    expect(text).toContain("W1 sequential ingest");
    expect(text).toMatch(/sqlite\s+400\s+2\.00x\s+0\.40x/);
    expect(text).toContain("postgres skipped: test");
    expect(renderMarkdown(results)).toContain("| sqlite | 400 | 2.00x | 0.40x |");
  });
});

describe("bench workloads", () => {
  const driverWorkloads = WORKLOADS.filter((w): w is DriverWorkload => w.scope === "driver");

  it.each(driverWorkloads.map((w) => [w.id, w.requires ? "" : " and on a base-methods-only driver", w] as const))(
    "%s runs on the in-memory driver%s, with finite figures",
    async (_id, _also, workload) => {
      // A workload that measures an optional capability cannot run on a driver without it.
      const drivers: SessionPersistDriver[] = [
        new InMemorySessionPersistDriver({ maxSessions: 100_000, maxEventsPerSession: 1_000_000 }),
        ...(workload.requires ? [] : [new MinimalDriver()]),
      ];
      for (const driver of drivers) {
        const metrics = await runWorkload(workload, driver);
        expect(metrics.length).toBeGreaterThan(0);
        for (const m of metrics) {
          expect(Number.isFinite(m.value), `${workload.id}.${m.key}`).toBe(true);
          expect(m.value).toBeGreaterThanOrEqual(0);
        }
      }
    },
  );

  it("fails loudly when a driver returns a wrong tail", async () => {
    const w4 = driverWorkloads.find((w) => w.id === "w4")!;
    const driver = new InMemorySessionPersistDriver({ maxSessions: 100, maxEventsPerSession: 1_000_000 });
    const lying = {
      getSession: (id: string) => driver.getSession(id),
      listSessions: (req?: ListPageRequest) => driver.listSessions(req),
      updateSession: (record: SessionRecord) => driver.updateSession(record),
      listEvents: (req: ListEventsRequest) => driver.listEvents(req),
      insertEvent: (sessionId: string, event: SessionEvent) => driver.insertEvent(sessionId, event),
      insertEvents: (sessionId: string, events: readonly SessionEvent[]) => driver.insertEvents(sessionId, events),
      // One event short: the workload must notice instead of timing a wrong answer.
      listLatestEvents: async (sessionId: string, limit: number) => (await driver.listLatestEvents(sessionId, limit)).slice(1),
    };
    await expect(runWorkload(w4, lying)).rejects.toThrow(/wrong tail/);
  });
});
