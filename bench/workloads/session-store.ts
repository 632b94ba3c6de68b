import { referenceFile } from "../raw/claude-reference-file.js";
import { referencePostgres } from "../raw/claude-reference-postgres.js";
import { referenceRedis } from "../raw/claude-reference-redis.js";
import { referenceSqlite } from "../raw/claude-reference-sqlite.js";
import { appendRates, listSessionsMs, listSummariesMs, loadMs } from "../session-store/measures.js";
import { fileStore, postgresStore, redisStore, sqliteStore } from "../session-store/stores.js";
import type { Subject, SubjectInstance } from "../session-store/subject.js";
import type { BenchEnvironment, BenchScale, Metric, StandaloneWorkload } from "../types.js";

// The Claude Agent SDK SessionStore: this package's stores against the reference shape of the
// public adapters (bench/raw/claude-reference-*.ts), same engine, same run, on fresh schemas
// or files, the two taking turns within each step (see session-store/measures.ts). Figures: 1-entry and 100-entry appends (the
// stores de-duplicate and fold summaries meanwhile), a load of a 12,000-entry transcript, and
// listSessions / listSessionSummaries over 10,000 sessions of 2 and of 20 entries (flat in
// entries per session means the two agree). Ratio rows: store / reference (appends: higher is
// better; load and listings: lower is better).

/** The sizes at a scale. */
function sizes(scale: BenchScale) {
  return {
    appends1: scale.n(2000, 50),
    appends100: scale.n(100, 5),
    loadEntries: scale.n(12_000, 500),
    sessions: scale.n(10_000, 200),
    perSession: [2, 20] as const,
  };
}

/** Fresh instances of both subjects, `measure` on their stores, then clean up. */
async function onBoth<T>(pair: readonly Subject[], env: BenchEnvironment, measure: (stores: SubjectInstance["store"][]) => Promise<T>): Promise<T> {
  const instances: SubjectInstance[] = [];
  try {
    for (const subject of pair) instances.push(await subject.open(env.postgresUrl, env.redisUrl));
    return await measure(instances.map((i) => i.store));
  } finally {
    for (const instance of instances) await instance.cleanup();
  }
}

/** Every figure of a reference and a store for one run, measured taking turns: [reference, store]. */
async function measurePair(pair: readonly [Subject, Subject], scale: BenchScale, env: BenchEnvironment): Promise<[Metric[], Metric[]]> {
  const s = sizes(scale);
  const metrics: [Metric[], Metric[]] = [[], []];
  const add = (key: string, label: string, values: readonly (number | undefined)[], unit: Metric["unit"], better: Metric["better"]) => {
    values.forEach((value, i) => {
      if (value !== undefined) metrics[i]?.push({ key, label, value, unit, better });
    });
  };
  await onBoth(pair, env, async (stores) => {
    add("append1", "1-entry appends/s", await appendRates(stores, s.appends1, 1), "rec/s", "higher");
    add("append100", "100-entry appends, entries/s", await appendRates(stores, s.appends100, 100), "ev/s", "higher");
    add("load", `load ${s.loadEntries.toLocaleString("en-US")} ms`, await loadMs(stores, s.loadEntries), "ms", "lower");
  });
  for (const perSession of s.perSession) {
    await onBoth(pair, env, async (stores) => {
      const { project, ms } = await listSessionsMs(stores, s.sessions, perSession);
      add(`list${perSession}`, `listSessions ms (${perSession}/session)`, ms, "ms", "lower");
      const summaries = await Promise.all(stores.map((store) => listSummariesMs(store, project, s.sessions)));
      add(`summaries${perSession}`, `summaries ms (${perSession}/session)`, summaries, "ms", "lower");
    });
  }
  return metrics;
}

/** Store / reference for every figure both have (appends as rates, the rest as times). */
function ratios(store: Metric[], reference: Metric[]): Metric[] {
  const out: Metric[] = [];
  for (const m of store) {
    const ref = reference.find((r) => r.key === m.key);
    if (ref === undefined || ref.value === 0) continue;
    out.push({ key: m.key, label: m.label, value: m.value / ref.value, unit: "x", better: m.better });
  }
  return out;
}

/** The Claude Agent SDK SessionStore workload. */
export const sessionStoreWorkload: StandaloneWorkload = {
  scope: "standalone",
  id: "store",
  needsPostgres: true,
  needsRedis: true,
  title: (scale) => {
    const s = sizes(scale);
    return (
      `Claude Agent SDK SessionStore vs the public adapters' reference shape (same engine, same run): ` +
      `${s.appends1.toLocaleString("en-US")} 1-entry and ${s.appends100} 100-entry appends to one session, ` +
      `load of ${s.loadEntries.toLocaleString("en-US")} entries, listings over ${s.sessions.toLocaleString("en-US")} sessions of 2 and 20 entries; ` +
      `"/ reference" rows are ratios (appends: higher is better; load and listings: lower is better)`
    );
  },
  async run(scale, env) {
    const pairs: [Subject, Subject][] = [[referenceSqlite, sqliteStore]];
    if (env.postgresUrl !== undefined) pairs.unshift([referencePostgres, postgresStore]);
    if (env.redisUrl !== undefined) pairs.push([referenceRedis, redisStore]);
    pairs.push([referenceFile, fileStore]);
    const rows: Record<string, Metric[]> = {};
    for (const [reference, store] of pairs) {
      const [ref, ours] = await measurePair([reference, store], scale, env);
      rows[reference.name] = ref;
      rows[store.name] = ours;
      rows[`${store.name} / reference`] = ratios(ours, ref);
    }
    return rows;
  },
};
