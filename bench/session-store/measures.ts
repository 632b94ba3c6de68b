import { randomUUID } from "node:crypto";
import type { SessionKey } from "@anthropic-ai/claude-agent-sdk";
import { median, perSecond } from "../support/stats.js";
import type { StoreUnderTest } from "./subject.js";
import { transcriptEntries } from "./transcript.js";

// The timed steps of the session store workload. Every step runs the reference and the store
// taking turns in short rounds (reference first), so that a busy spell of the machine hits
// both alike; data is built before the clock starts, and seeding is not timed.

/** Rounds each step is split into. */
const ROUNDS = 10;
/** Times a read is repeated per subject; the median is reported. */
const REPEATS = 7;
/** Batch size of the seeding appends of a long transcript. */
const SEED_BATCH = 500;
/** Seeding appends in flight at once (sessions of the listings). */
const SEED_CONCURRENCY = 8;

const freshKey = (): SessionKey => ({ projectKey: `-bench-${randomUUID().slice(0, 8)}`, sessionId: randomUUID() });

/**
 * `appends` appends of `size` entries each to one session per store, awaited one by one, the
 * stores taking turns every `appends / ROUNDS` appends; entries per second of each.
 */
export async function appendRates(stores: readonly StoreUnderTest[], appends: number, size: number): Promise<number[]> {
  const plans = stores.map((store) => {
    const key = freshKey();
    const batches = Array.from({ length: appends }, (_, i) => transcriptEntries(key.sessionId, size, i * size));
    return { store, key, batches, ms: 0 };
  });
  // The session exists, as in a running conversation.
  for (const plan of plans) await plan.store.append(plan.key, transcriptEntries(plan.key.sessionId, 1, -1));
  const perRound = Math.ceil(appends / ROUNDS);
  for (let at = 0; at < appends; at += perRound) {
    for (const plan of plans) {
      const started = performance.now();
      for (const batch of plan.batches.slice(at, at + perRound)) await plan.store.append(plan.key, batch);
      plan.ms += performance.now() - started;
    }
  }
  return plans.map((plan) => perSecond(appends * size, plan.ms));
}

/** Median ms of `REPEATS` calls of each read, the reads taking turns after one untimed call each; `check` sees every result. */
export async function medianMsEach<T>(reads: readonly (() => Promise<T>)[], check: (result: T) => void): Promise<number[]> {
  for (const read of reads) check(await read());
  const times = reads.map(() => [] as number[]);
  for (let i = 0; i < REPEATS; i++) {
    for (const [k, read] of reads.entries()) {
      const started = performance.now();
      const result = await read();
      times[k]?.push(performance.now() - started);
      check(result);
    }
  }
  return times.map(median);
}

/** A transcript of `entries` entries in each store (appends of 500), then the loads taking turns: median ms of each. */
export async function loadMs(stores: readonly StoreUnderTest[], entries: number): Promise<number[]> {
  const key = freshKey();
  for (const store of stores) {
    for (let at = 0; at < entries; at += SEED_BATCH) await store.append(key, transcriptEntries(key.sessionId, Math.min(SEED_BATCH, entries - at), at));
  }
  return medianMsEach(
    stores.map((store) => () => store.load(key)),
    (loaded) => {
      if (loaded?.length !== entries) throw new Error(`load returned ${loaded?.length} entries, not ${entries}`);
    },
  );
}

/** A project of `sessions` sessions of `perSession` entries each in `store` (one append each, 8 in flight). */
export async function seedProject(store: StoreUnderTest, projectKey: string, sessions: number, perSession: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < sessions) {
      const sessionId = `s-${String(next++).padStart(6, "0")}`;
      await store.append({ projectKey, sessionId }, transcriptEntries(sessionId, perSession));
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
}

/** The same project of `sessions` sessions in each store, then listSessions taking turns: median ms of each. */
export async function listSessionsMs(stores: readonly StoreUnderTest[], sessions: number, perSession: number): Promise<{ project: string; ms: number[] }> {
  const project = `-bench-${randomUUID().slice(0, 8)}`;
  for (const store of stores) await seedProject(store, project, sessions, perSession);
  const ms = await medianMsEach(
    stores.map((store) => () => store.listSessions(project)),
    (listed) => {
      if (listed.length !== sessions) throw new Error(`listSessions returned ${listed.length} sessions, not ${sessions}`);
    },
  );
  return { project, ms };
}

/** listSessionSummaries of a seeded project: median ms, or undefined when the store keeps no summaries. */
export async function listSummariesMs(store: StoreUnderTest, project: string, sessions: number): Promise<number | undefined> {
  const list = store.listSessionSummaries?.bind(store);
  if (list === undefined) return undefined;
  const [ms] = await medianMsEach([() => list(project)], (summaries) => {
    if (summaries.length !== sessions) throw new Error(`listSessionSummaries returned ${summaries.length}, not ${sessions}`);
  });
  return ms;
}
