import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { foldSessionSummary, type SessionStore, type SessionStoreEntry } from "@anthropic-ai/claude-agent-sdk";
import { expect } from "vitest";
import { spawnWorkers, type WorkerResult } from "./postgres-workers.js";
import { workerBatch, type SessionStoreWorkerArgs } from "./session-store-batches.js";

// The parent's side of the session stores' process tests: writers racing on one session, a
// writer SIGKILLed mid-stream, and the checks of what the store holds afterwards.

const WORKER = fileURLToPath(new URL("./session-store-worker.ts", import.meta.url));

/** Run one worker per writer on `store`, all released at once; resolves with their reports. */
export function raceWriters(store: SessionStoreWorkerArgs["store"], key: SessionStoreWorkerArgs["key"], writers: number, batches: number): Promise<WorkerResult[]> {
  const args: SessionStoreWorkerArgs[] = Array.from({ length: writers }, (_, writer) => ({ store, key, writer, batches, mode: "race" }));
  return spawnWorkers(WORKER, args);
}

/** Run a crash-mode worker and SIGKILL it once it acknowledged `acks` appends; resolves with how many it acknowledged. */
export function appendThenKill(store: SessionStoreWorkerArgs["store"], key: SessionStoreWorkerArgs["key"], acks: number): Promise<number> {
  const args: SessionStoreWorkerArgs = { store, key, writer: 0, batches: 1_000_000, mode: "crash" };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, JSON.stringify(args)], { stdio: ["ignore", "pipe", "pipe"] });
    let acked = 0;
    let err = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      acked += chunk.split("\n").filter((line) => line.startsWith("ack ")).length;
      if (acked >= acks && child.exitCode === null) child.kill("SIGKILL");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("close", (_code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`the crash writer exited by itself (${acked} acks): ${err}`));
    });
  });
}

/**
 * `loaded` holds every batch of every writer exactly once, each writer's in its call order;
 * with `raced`, the writers did race (their batches interleave: more writer changes than
 * writers one after the other would make).
 */
export function expectEveryBatchOnceInOrder(loaded: readonly SessionStoreEntry[], writers: number, batches: number, raced = false): void {
  expect(loaded.length).toBe(writers * batches * 3);
  for (let w = 0; w < writers; w++) {
    const mine = loaded.filter((e) => e.writer === w);
    expect(mine).toEqual(Array.from({ length: batches }, (_, b) => workerBatch(w, b)).flat());
  }
  if (!raced) return;
  const switches = loaded.filter((e, i) => i > 0 && e.writer !== loaded[i - 1]?.writer).length;
  expect(switches, "the writers' batches interleave").toBeGreaterThan(writers - 1);
}

/** `loaded` is writer 0's first batches, whole (a batch is all or nothing), at least `acked` of them. */
export function expectWholeBatches(loaded: readonly SessionStoreEntry[], acked: number): number {
  expect(loaded.length % 3).toBe(0);
  const batches = loaded.length / 3;
  expect(batches).toBeGreaterThanOrEqual(acked);
  expect(batches).toBeLessThanOrEqual(acked + 1); // the append in flight may have committed
  expect(loaded).toEqual(Array.from({ length: batches }, (_, b) => workerBatch(0, b)).flat());
  return batches;
}

/** The session's summary is the fold of its transcript as loaded. */
export async function expectSummaryIsFold(store: SessionStore, key: { projectKey: string; sessionId: string }): Promise<void> {
  const entries = (await store.load(key)) ?? [];
  const summary = (await store.listSessionSummaries?.(key.projectKey))?.find((s) => s.sessionId === key.sessionId);
  expect(summary?.data).toEqual(foldSessionSummary(undefined, key, entries, { mtime: 0 }).data);
}
