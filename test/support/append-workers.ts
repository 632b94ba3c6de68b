import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { SessionPersistDriver } from "../../src/persist/types.js";
import type { AppendWorkerArgs } from "./append-worker.js";
import { allEvents } from "./client.js";
import { spawnWorkers, type WorkerResult } from "./postgres-workers.js";

// Parent side of append-worker.ts: run the workers (see postgres-workers.ts) and check
// what they wrote.

const WORKER = fileURLToPath(new URL("./append-worker.ts", import.meta.url));

/** Run the workers; they all start appending at the same moment. */
export function runAppendWorkers(argsList: AppendWorkerArgs[]): Promise<WorkerResult[]> {
  return spawnWorkers(WORKER, argsList);
}

/**
 * Check what `workers` processes appending `count` events each left in `driver`: the shared
 * session holds exactly indexes 0..n-1, every reported id once, each worker's in its order;
 * each worker's own session holds its events at 0..count-1; and the workers really raced
 * (some lost an index to another and retried).
 */
export async function assertAppended(driver: SessionPersistDriver, results: WorkerResult[], workers: number, count: number): Promise<void> {
  for (const result of results) assert.equal(result.ok, true, result.error);
  const shared = await allEvents(driver, "shared");
  assert.deepEqual(
    shared.map((e) => e.eventIndex),
    Array.from({ length: workers * count }, (_, i) => i),
  );
  const reported = results.flatMap((r) => r.written ?? []).sort();
  assert.equal(reported.length, workers * count);
  assert.deepEqual(shared.map((e) => e.id).sort(), reported);
  for (let worker = 0; worker < workers; worker++) {
    const mine = shared.filter((e) => e.connectionId === `worker-${worker}`).map((e) => e.id);
    assert.deepEqual(mine, Array.from({ length: count }, (_, i) => `w${worker}-shared-${i}`));
    const own = await allEvents(driver, `own-${worker}`);
    assert.deepEqual(
      own.map((e) => [e.eventIndex, e.id]),
      Array.from({ length: count }, (_, i) => [i, `w${worker}-own-${i}`]),
    );
  }
  assert.ok(results.reduce((n, r) => n + (r.conflicts ?? 0), 0) > 0, "the workers never collided");
}
