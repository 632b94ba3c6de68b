import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, it } from "vitest";
import { allEvents } from "../support/client.js";
import type { LeaseStoreSpec, LeaseStoreWorkerArgs, RaceReport } from "../support/lease-store-worker.js";
import { postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";
import { openSharedStore as openStore } from "../support/shared-stores.js";
import { spawnWorkers } from "../support/postgres-workers.js";
import { prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";

// Session leases at the store, across processes, on every backend processes can share
// (PostgreSQL, Redis, an SQLite file, a file store): what app servers sharing one store do.
// No client here: the processes call the driver's lease methods and fenced writes directly,
// so these tests prove the store's side of issue 16 on its own.

const WORKER = fileURLToPath(new URL("../support/lease-store-worker.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const freshSchema = schemasDroppedAfterAll();
const freshPrefix = prefixesRemovedAfterAll();
const dir = mkdtempSync(join(tmpdir(), "durable-agent-lease-processes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

type Backend = "postgres" | "redis" | "sqlite" | "file";

function freshStore(kind: Backend): LeaseStoreSpec {
  switch (kind) {
    case "postgres":
      return { kind, url: postgresUrl(), schema: freshSchema("lease") };
    case "redis":
      return { kind, url: redisUrl(), keyPrefix: freshPrefix("lease") };
    case "sqlite":
      return { kind, filename: join(dir, `leases-${++counter}.db`) };
    case "file":
      return { kind, directory: join(dir, `store-${++counter}`) };
  }
}

const ROUNDS = 5;
const BATCHES = 3;
const BATCH_SIZE = 2;

/**
 * `workers` processes race for one session's lease, each taking it ROUNDS times and writing
 * fenced batches under it; then the stored history is read back and checked.
 */
async function raceFor(kind: Backend, workers: number): Promise<void> {
  const store = freshStore(kind);
  const sessionId = "contended";
  const argsList: LeaseStoreWorkerArgs[] = Array.from({ length: workers }, (_, w) => ({
    name: `worker-${w}`,
    store,
    sessionId,
    ttlMs: 30_000, // never expires during the test: each holder releases
    mode: "race",
    rounds: ROUNDS,
    batches: BATCHES,
    batchSize: BATCH_SIZE,
  }));
  const reports = (await spawnWorkers(WORKER, argsList)) as unknown as RaceReport[];
  // No failure of any kind, contention included: no conflict, no lost lease, no store error.
  reports.forEach((report, w) => assert.equal(report.ok, true, `worker-${w}: ${JSON.stringify(report.error ?? report)}`));

  const total = workers * ROUNDS;
  const held = reports.flatMap((report, w) => report.held.map((h) => ({ ...h, holder: `worker-${w}` })));
  held.sort((a, b) => a.token - b.token);
  // Every acquisition took the next token: 1..total, each once.
  assert.deepEqual(held.map((h) => h.token), Array.from({ length: total }, (_, i) => i + 1));
  // One holder at a time: each lease's sure interval ends before the next token's begins.
  for (let i = 1; i < held.length; i++) {
    const [before, after] = [held[i - 1]!, held[i]!];
    assert.ok(before.end <= after.start, `token ${before.token} (${before.holder}) held until ${before.end}, token ${after.token} (${after.holder}) from ${after.start}`);
  }
  assert.ok(reports.reduce((n, r) => n + r.refusals, 0) > 0, "the workers never contended");

  const driver = await openStore(store);
  try {
    const events = await allEvents(driver, sessionId);
    // Gapless, and in token order: no write of an older token after a newer one, and every
    // token's events contiguous and by the holder that token was given to.
    assert.deepEqual(events.map((e) => e.eventIndex), Array.from({ length: total * BATCHES * BATCH_SIZE }, (_, i) => i));
    const runs: { owner: string; count: number }[] = [];
    for (const event of events) {
      const last = runs[runs.length - 1];
      if (last?.owner === event.connectionId) last.count++;
      else runs.push({ owner: event.connectionId, count: 1 });
    }
    assert.deepEqual(
      runs,
      held.map((h) => ({ owner: `${h.holder}#${h.token}`, count: BATCHES * BATCH_SIZE })),
    );
    const lease = await driver.getLease(sessionId);
    assert.equal(lease?.token, total);
    assert.ok(lease !== undefined && lease.expiresAt <= Date.now(), "the last holder released it");
  } finally {
    await driver.close();
  }
}

/** One stepped worker: a process the test drives command by command, and can stop and wake. */
class Stepped {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #queue: string[] = [];
  readonly #waiting: ((line: string) => void)[] = [];
  stderr = "";

  constructor(args: LeaseStoreWorkerArgs) {
    this.#child = spawn(process.execPath, ["--import", "tsx", WORKER, JSON.stringify(args)], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    this.#child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on("line", (line) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(line);
      else this.#queue.push(line);
    });
  }

  /** The next line the worker prints, parsed. */
  next<T>(timeoutMs = 30_000): Promise<T> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.#waiting.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as T);
      });
    });
  }

  /** Send a command and wait for its answer. */
  async send<T>(cmd: string): Promise<T> {
    this.#child.stdin.write(`${JSON.stringify({ cmd })}\n`);
    return this.next<T>();
  }

  signal(signal: "SIGSTOP" | "SIGCONT"): void {
    this.#child.kill(signal);
  }

  async exit(): Promise<void> {
    const closed = new Promise((resolve) => this.#child.on("close", resolve));
    this.#child.kill("SIGCONT");
    this.#child.stdin.end(`${JSON.stringify({ cmd: "exit" })}\n`);
    await closed;
  }
}

interface WriteAnswer {
  ok: boolean;
  ids?: string[];
  error?: { name: string; code: string; current?: { holder: string; token: number } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A holder stopped (SIGSTOP) past its TTL: woken before any takeover, its fenced write is
 * accepted (fencing is by token); stopped again and woken after another process took the
 * session over, its fenced write and its renew are LeaseLostError and nothing of it is stored.
 */
async function stoppedHolder(kind: Backend): Promise<void> {
  const store = freshStore(kind);
  const sessionId = "paused";
  const ttlMs = 800;
  const base = { store, sessionId, ttlMs, mode: "stepped" as const, batchSize: 2 };
  const a = new Stepped({ ...base, name: "holder-a" });
  const b = new Stepped({ ...base, name: "holder-b" });
  try {
    await Promise.all([a.next(), b.next()]);
    const taken = await a.send<{ acquired: boolean; lease: { token: number } }>("acquire");
    assert.equal(taken.acquired, true);
    const kept: string[] = [];
    for (let i = 0; i < 3; i++) kept.push(...(await a.send<WriteAnswer>("write")).ids!);

    a.signal("SIGSTOP");
    await sleep(ttlMs + 400);
    a.signal("SIGCONT");
    const late = await a.send<WriteAnswer>("write");
    assert.equal(late.ok, true, `expired but not taken over: accepted (${JSON.stringify(late.error)})`);
    kept.push(...late.ids!);

    a.signal("SIGSTOP");
    await sleep(ttlMs + 400);
    const takeover = await b.send<{ acquired: boolean; lease: { token: number } }>("acquire");
    assert.equal(takeover.acquired, true, "b takes the expired lease over");
    assert.equal(takeover.lease.token, taken.lease.token + 1);
    kept.push(...(await b.send<WriteAnswer>("write")).ids!);

    a.signal("SIGCONT");
    const stale = await a.send<WriteAnswer>("write");
    assert.equal(stale.ok, false, "the woken holder's write is refused");
    assert.equal(stale.error?.name, "LeaseLostError");
    assert.equal(stale.error?.code, "persist.lease_lost");
    assert.equal(stale.error?.current?.holder, "holder-b");
    assert.equal(stale.error?.current?.token, takeover.lease.token);
    const renew = await a.send<WriteAnswer>("renew");
    assert.equal(renew.error?.name, "LeaseLostError");
    kept.push(...(await b.send<WriteAnswer>("write")).ids!);

    const driver = await openStore(store);
    try {
      const events = await allEvents(driver, sessionId);
      assert.deepEqual(events.map((e) => e.id), kept, "exactly the accepted writes, in order; nothing of the refused one");
      assert.deepEqual(events.map((e) => e.eventIndex), kept.map((_, i) => i));
      const owners = [...new Set(events.map((e) => e.connectionId))];
      assert.deepEqual(owners, [`holder-a#${taken.lease.token}`, `holder-b#${takeover.lease.token}`]);
    } finally {
      await driver.close();
    }
  } finally {
    await Promise.all([a.exit(), b.exit()]);
  }
}

for (const kind of ["postgres", "redis", "sqlite", "file"] as const) {
  describe(`session leases across processes: ${kind}`, () => {
    it("2 processes racing for one session: one holder at a time, tokens 1..n in order, fenced writes gapless and never interleaved", async () => {
      await raceFor(kind, 2);
    }, 120_000);

    it("4 processes racing for one session: the same, and no contention error of any kind", async () => {
      await raceFor(kind, 4);
    }, 180_000);

    it("a holder SIGSTOPped past its TTL writes on when nobody took over, and gets LeaseLostError and writes nothing after a takeover", async () => {
      await stoppedHolder(kind);
    }, 120_000);
  });
}
