import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import type { SessionEvent, SessionLeaseCapabilities, SessionPersistDriver } from "../../src/index.js";
import { allEvents, isGapFree } from "../support/client.js";
import type { Command, HeldInterval, LeaseWorkerArgs, LeaseWorkerStore, LoopPrompt } from "../support/lease-worker.js";
import { postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";
import { prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";

// Session leases across processes, on the real runtime (scripted agent, session/load on) and
// every server backend: workers (test/support/lease-worker.ts) race for one session; at every
// moment one holds it; a SIGKILLed holder is taken over within TTL + 1 s and the conversation
// goes on with full context; a SIGSTOPped holder woken after a takeover gets the typed fencing
// error and writes nothing; no PersistenceFailedError comes from the contention.

type Reply = Record<string, unknown> & { ok?: boolean; code?: string };

interface Worker {
  name: string;
  pid: number;
  send(command: Command): Promise<Reply>;
  /** The next line the worker printed on its own (`startPrompt` outcomes). */
  nextEvent(): Promise<Reply>;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<void>;
}

async function spawnWorker(args: LeaseWorkerArgs, token: string): Promise<Worker> {
  const script = join(process.cwd(), "test/support/lease-worker.ts");
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(args)], {
    env: { ...process.env, DURABLE_AGENT_TEST_TOKEN: token },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const waiting: ((reply: Reply) => void)[] = [];
  const events: Reply[] = [];
  const eventWaiters: ((reply: Reply) => void)[] = [];
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const reply = JSON.parse(line) as Reply;
    if (reply.ready) ready();
    else if (reply.event) (eventWaiters.shift() ?? ((r: Reply) => events.push(r)))(reply);
    else waiting.shift()?.(reply);
  });
  await Promise.race([isReady, exited.then(() => Promise.reject(new Error(`worker ${args.name} exited early: ${stderr}`)))]);
  return {
    name: args.name,
    pid: child.pid!,
    send: (command) =>
      new Promise<Reply>((resolve, reject) => {
        waiting.push(resolve);
        child.stdin.write(`${JSON.stringify(command)}\n`);
        void exited.then(() => reject(new Error(`worker ${args.name} exited: ${stderr}`)));
      }),
    nextEvent: () => (events.length > 0 ? Promise.resolve(events.shift()!) : new Promise<Reply>((resolve) => eventWaiters.push(resolve))),
    kill: (signal) => child.kill(signal),
    exited,
  };
}

/** A store the workers share, with the parent's own driver on it. */
interface SharedStore {
  spec: LeaseWorkerStore;
  driver: SessionPersistDriver & SessionLeaseCapabilities & { close(): Promise<void> };
  cleanup(): Promise<void>;
}

const pgSchema = schemasDroppedAfterAll();
const redisPrefix = prefixesRemovedAfterAll();

const BACKENDS: Record<string, () => Promise<SharedStore>> = {
  postgres: async () => {
    const spec = { kind: "postgres" as const, url: postgresUrl(), schema: pgSchema("lease") };
    const { PostgresSessionPersistDriver } = await import("../../drivers/postgres.js");
    const driver = new PostgresSessionPersistDriver({ connectionString: spec.url, schema: spec.schema }) as never as SharedStore["driver"];
    await driver.listSessions(); // migrate before the race
    return { spec, driver, cleanup: () => driver.close() };
  },
  redis: async () => {
    const spec = { kind: "redis" as const, url: redisUrl(), keyPrefix: redisPrefix("lease") };
    const { RedisSessionPersistDriver } = await import("../../drivers/redis.js");
    const driver = new RedisSessionPersistDriver({ url: spec.url, keyPrefix: spec.keyPrefix }) as never as SharedStore["driver"];
    return { spec, driver, cleanup: () => driver.close() };
  },
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-lease-"));
    const spec = { kind: "sqlite" as const, filename: join(dir, "sessions.db") };
    const { SQLiteSessionPersistDriver } = await import("../../drivers/sqlite.js");
    const driver = new SQLiteSessionPersistDriver({ filename: spec.filename }) as never as SharedStore["driver"];
    await driver.listSessions();
    return { spec, driver, cleanup: async () => (await driver.close(), rmSync(dir, { recursive: true, force: true })) };
  },
  file: async () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-lease-"));
    const spec = { kind: "file" as const, directory: join(dir, "store") };
    const { FileSessionPersistDriver } = await import("../../drivers/file.js");
    const driver = new FileSessionPersistDriver({ directory: spec.directory }) as never as SharedStore["driver"];
    await driver.listSessions();
    return { spec, driver, cleanup: async () => (await driver.close(), rmSync(dir, { recursive: true, force: true })) };
  },
};

/** The events' connection ids as runs: each connection once, in order. */
function connectionRuns(events: readonly SessionEvent[]): string[] {
  const runs: string[] = [];
  for (const event of events) if (runs[runs.length - 1] !== event.connectionId) runs.push(event.connectionId);
  return runs;
}

describe("session leases across processes (real runtime)", () => {
  let runtime: RuntimeHandle;
  const workers: Worker[] = [];
  const worker = async (store: SharedStore, name: string, ttlMs: number, sessionId: string) => {
    const w = await spawnWorker({ name, store: store.spec, baseUrl: runtime.baseUrl, sessionId, ttlMs }, runtime.token);
    workers.push(w);
    return w;
  };
  const stopWorkers = async () => {
    for (const w of workers.splice(0)) {
      w.kill("SIGCONT");
      w.kill("SIGKILL");
      await w.exited;
    }
  };

  beforeAll(async () => {
    runtime = await startRuntime({ loadSession: true });
  });
  afterAll(async () => {
    await stopWorkers();
    await runtime?.stop();
  });

  for (const [backend, open] of Object.entries(BACKENDS)) {
    for (const count of [2, 4]) {
      it(`${backend}: ${count} processes racing for one session, one holder at a time, every turn with full context`, async () => {
        const store = await open();
        try {
          const racers = await Promise.all(Array.from({ length: count }, (_, i) => worker(store, `${backend}-${count}-w${i}`, 3000, "raced")));
          const results = await Promise.all(racers.map((w) => w.send({ cmd: "loop", rounds: 2, prompts: 3, waitMs: 120_000 })));
          for (const result of results) expect(result, JSON.stringify(result)).toMatchObject({ ok: true, failures: [] });

          // At every moment one holder: the held intervals, by start, never overlap, and the tokens grow with them.
          const intervals = results.flatMap((r) => r.intervals as HeldInterval[]).sort((a, b) => a.start - b.start);
          expect(intervals).toHaveLength(count * 2);
          for (let i = 1; i < intervals.length; i++) {
            expect(intervals[i]!.start).toBeGreaterThanOrEqual(intervals[i - 1]!.end);
            expect(intervals[i]!.token).toBeGreaterThan(intervals[i - 1]!.token);
          }
          // The store agrees: gap-free, and each holder's events one run, in the holders' order.
          const events = await allEvents(store.driver, "raced");
          expect(isGapFree(events)).toBe(true);
          expect(connectionRuns(events)).toEqual(intervals.map((interval) => interval.connectionId));
          // Full context: every prompt's agent knew every turn before it, whoever sent them.
          const prompts = results.flatMap((r) => r.prompts as LoopPrompt[]).sort((a, b) => a.at - b.at);
          expect(prompts.map((p) => p.priorTurns)).toEqual(prompts.map((_, i) => i));
          // No PersistenceFailedError (nor any other background failure) from the contention.
          const errors = await Promise.all(racers.map((w) => w.send({ cmd: "errors" })));
          expect(errors.flatMap((e) => e.errors as unknown[])).toEqual([]);
        } finally {
          await stopWorkers();
          await store.cleanup();
        }
      });
    }

    it(`${backend}: the holder SIGKILLed, a waiting process takes over within TTL + 1 s and goes on with full context`, async () => {
      const store = await open();
      const ttlMs = 2000;
      try {
        const a = await worker(store, `${backend}-killed`, ttlMs, "killed");
        const b = await worker(store, `${backend}-heir`, ttlMs, "killed");
        expect(await a.send({ cmd: "take", waitMs: 0 })).toMatchObject({ ok: true, token: 1 });
        for (const text of ["turn one", "turn two"]) expect(await a.send({ cmd: "prompt", text })).toMatchObject({ ok: true });
        expect(await b.send({ cmd: "take", waitMs: 0 })).toMatchObject({ ok: false, code: "session.leased", holder: `${backend}-killed` });

        const taking = b.send({ cmd: "take", waitMs: 60_000 });
        await new Promise((resolve) => setTimeout(resolve, 300));
        const killedAt = Date.now();
        a.kill("SIGKILL");
        await a.exited;
        const taken = await taking;
        expect(taken).toMatchObject({ ok: true, token: 2 });
        const takeoverMs = (taken.at as number) - killedAt;
        expect(takeoverMs).toBeLessThanOrEqual(ttlMs + 1000);
        const next = await b.send({ cmd: "prompt", text: "turn three, after the takeover" });
        expect(next).toMatchObject({ ok: true, report: { loaded: true, priorTurns: 2 } });
        expect(isGapFree(await allEvents(store.driver, "killed"))).toBe(true);
        expect((await b.send({ cmd: "errors" })).errors).toEqual([]);
        console.log(`[leases] ${backend}: takeover ${takeoverMs} ms after SIGKILL (ttl ${ttlMs} ms)`);
      } finally {
        await stopWorkers();
        await store.cleanup();
      }
    });

    it(`${backend}: a holder SIGSTOPped mid-turn and woken after a takeover gets SessionLeaseLostError and writes nothing`, async () => {
      const store = await open();
      const ttlMs = 1500;
      try {
        const a = await worker(store, `${backend}-paused`, ttlMs, "paused");
        const b = await worker(store, `${backend}-taker`, ttlMs, "paused");
        expect(await a.send({ cmd: "take", waitMs: 0 })).toMatchObject({ ok: true });
        expect(await a.send({ cmd: "prompt", text: "before the pause" })).toMatchObject({ ok: true });
        const aConnection = (await allEvents(store.driver, "paused"))[0]!.connectionId;
        expect(await a.send({ cmd: "startPrompt", text: "/slow 1500" })).toMatchObject({ started: true });
        await new Promise((resolve) => setTimeout(resolve, 200));
        a.kill("SIGSTOP");

        expect(await b.send({ cmd: "take", waitMs: 60_000 })).toMatchObject({ ok: true, token: 2 });
        expect(await b.send({ cmd: "prompt", text: "the new holder's turn" })).toMatchObject({ ok: true, report: { loaded: true } });
        const before = await allEvents(store.driver, "paused");

        a.kill("SIGCONT");
        const inFlight = await a.nextEvent();
        expect(inFlight).toMatchObject({ ok: false, code: "session.lease_lost", causeCode: "persist.lease_lost" });
        expect(await a.send({ cmd: "prompt", text: "after waking" })).toMatchObject({ ok: false, code: "session.lease_lost" });
        await new Promise((resolve) => setTimeout(resolve, 300));
        // Nothing of A's after the takeover: the store is exactly what it was.
        const after = await allEvents(store.driver, "paused");
        expect(after).toEqual(before);
        const firstOfB = after.findIndex((event) => event.connectionId !== aConnection);
        expect(after.slice(firstOfB).every((event) => event.connectionId !== aConnection)).toBe(true);
        expect((await b.send({ cmd: "prompt", text: "B goes on" })).ok).toBe(true);
        const errors = (await a.send({ cmd: "errors" })).errors as { code: string }[];
        expect(errors.filter((e) => e.code === "recorder.persist_failed")).toEqual([]);
        expect(errors.some((e) => e.code === "session.lease_lost")).toBe(true);
        // Its unstored events of the lost turn are not handed out to be stored later (they never may be).
        expect(await a.send({ cmd: "exit" })).toMatchObject({ ok: true, disposed: "resolved" });
        const ofA = (events: readonly SessionEvent[]) => events.filter((event) => event.connectionId === aConnection).map((event) => event.id);
        expect(ofA(await allEvents(store.driver, "paused"))).toEqual(ofA(before));
      } finally {
        await stopWorkers();
        await store.cleanup();
      }
    });
  }

  it("issue 16's measurement again with leasing: two processes, 200 prompts each, one SQLite session", async () => {
    const store = await BACKENDS.sqlite!();
    try {
      const racers = await Promise.all(["m0", "m1"].map((name) => worker(store, name, 5000, "measured")));
      const started = Date.now();
      const results = await Promise.all(racers.map((w) => w.send({ cmd: "loop", rounds: 10, prompts: 20, waitMs: 300_000 })));
      const elapsed = Date.now() - started;
      for (const result of results) expect(result, JSON.stringify(result).slice(0, 2000)).toMatchObject({ ok: true, failures: [] });
      const prompts = results.flatMap((r) => r.prompts as LoopPrompt[]).sort((a, b) => a.at - b.at);
      expect(prompts).toHaveLength(400);
      expect(prompts.map((p) => p.priorTurns)).toEqual(prompts.map((_, i) => i));
      const events = await allEvents(store.driver, "measured");
      expect(isGapFree(events)).toBe(true);
      const errors = (await Promise.all(racers.map((w) => w.send({ cmd: "errors" })))).flatMap((e) => e.errors as { code: string }[]);
      expect(errors).toEqual([]);
      console.log(`[leases] 2 x 200 prompts on one SQLite session: 0 failed, ${events.length} events gap-free, 40 handovers, ${elapsed} ms`);
    } finally {
      await stopWorkers();
      await store.cleanup();
    }
  });
});
