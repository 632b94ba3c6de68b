/**
 * Rivet actor storage bench: W1 (sequential ingest), W3 (page-through) and W4 (tail read) run
 * inside a real RivetKit actor (a local engine in a temporary directory), against
 *
 * - `sqlite`: RivetSessionPersistDriver with events (and records) in the actor's SQLite database;
 * - `state`: RivetSessionPersistDriver with `events: "state"` (the reference layout in c.state);
 * - `reference-shape`: the reference driver's shape written here from its documented behaviour:
 *   everything in one c.state object, events pushed to an array per session, offset cursors,
 *   no validation, no copies beyond a JSON clone, no save requested.
 *
 * Timings are taken inside the actor (a client round trip per call would hide the storage),
 * and each ingest ends with `saveState({ immediate: true })`, so the figure is "until stored".
 * Memory: the actor process's heap and RSS after each workload, the size of the actor's state
 * as JSON (what every state save encodes again), and the engine process's RSS.
 *
 *   npx tsx bench/rivet-actor.ts [--w1 20000] [--w3 20000] [--w4 1000,10000,20000] [--subjects sqlite,state,reference-shape]
 *
 * (0 skips a workload.) The reference shape's W3/W4 sessions are seeded in one assignment: a
 * push per event through RivetKit's state proxy takes minutes, and seeding is not timed.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { actor, setup } from "rivetkit";
import { db } from "rivetkit/db";
import { setupTest } from "rivetkit/test";
import { RivetSessionPersistDriver, type RivetActorContext } from "../drivers/rivet.js";
import { insertEventsVia, listLatestEventsVia } from "../src/persist/capabilities.js";
import type { ListEventsRequest, ListPage, SessionEvent, SessionPersistDriver, SessionRecord } from "../src/persist/types.js";
import { fileScopedTestContext, prepareRivetEngine, runningEnginePid } from "../test/support/rivet-engine.js";
import { retryUnrouted } from "../test/support/rivet-host.js";
import { makeEvents, makeRecord, sessionIdOf } from "./fixtures.js";

type Subject = "sqlite" | "state" | "reference-shape";

/** The reference driver's storage shape, for comparison: one object in c.state, arrays, offset cursors. */
interface ReferenceData {
  sessions: Record<string, SessionRecord>;
  events: Record<string, SessionEvent[]>;
}
class ReferenceShape implements SessionPersistDriver {
  readonly #data: ReferenceData;
  constructor(ctx: RivetActorContext) {
    const state = ctx.state as { referenceShape?: ReferenceData };
    state.referenceShape ??= { sessions: {}, events: {} };
    this.#data = state.referenceShape;
  }
  async getSession(id: string) {
    const r = this.#data.sessions[id];
    return r && { ...r };
  }
  async listSessions() {
    return { items: Object.values(this.#data.sessions).map((r) => ({ ...r })) };
  }
  async updateSession(session: SessionRecord) {
    this.#data.sessions[session.id] = { ...session };
    this.#data.events[session.id] ??= [];
  }
  async listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    const all = this.#data.events[request.sessionId] ?? [];
    const offset = request.cursor ? Number(request.cursor) : 0;
    const limit = request.limit ?? 100;
    const items = all.slice(offset, offset + limit).map((e) => JSON.parse(JSON.stringify(e)) as SessionEvent);
    const next = offset + items.length;
    return { items, nextCursor: next < all.length ? String(next) : undefined };
  }
  async insertEvent(sessionId: string, event: SessionEvent) {
    (this.#data.events[sessionId] ??= []).push(JSON.parse(JSON.stringify(event)) as SessionEvent);
  }
  /** Seeding for W3 and W4 (not timed): the whole array in one assignment, as a long-lived actor would hold it. */
  seed(sessionId: string, events: SessionEvent[]) {
    this.#data.events[sessionId] = JSON.parse(JSON.stringify(events)) as SessionEvent[];
  }
}

const UNBOUNDED = { maxEventsPerSession: 10_000_000, maxBytes: 4 * 1024 ** 3 };

function driverFor(c: RivetActorContext, subject: Subject): SessionPersistDriver {
  if (subject === "reference-shape") return new ReferenceShape(c);
  return new RivetSessionPersistDriver(c, { events: subject, ...UNBOUNDED });
}

type Ctx = RivetActorContext & { saveState(o: { immediate: boolean }): Promise<void> };

async function untilSaved(c: Ctx): Promise<void> {
  await c.saveState({ immediate: true });
}

function memory(c: Ctx) {
  const { heapUsed, rss } = process.memoryUsage();
  return { heapMiB: heapUsed / 2 ** 20, rssMiB: rss / 2 ** 20, stateMiB: JSON.stringify(c.state).length / 2 ** 20 };
}

async function seed(driver: SessionPersistDriver, n: number, count: number): Promise<string> {
  const sessionId = sessionIdOf(n);
  await driver.updateSession(makeRecord(n));
  const events = makeEvents(sessionId, count);
  if (driver instanceof ReferenceShape) {
    driver.seed(sessionId, events);
    return sessionId;
  }
  for (let at = 0; at < count; at += 500) await insertEventsVia(driver, sessionId, events.slice(at, at + 500));
  return sessionId;
}

const benchHost = actor({
  state: {} as Record<string, unknown>,
  db: db(),
  actions: {
    w1: async (c, subject: Subject, n: number) => {
      const ctx = c as unknown as Ctx;
      const driver = driverFor(ctx, subject);
      await driver.updateSession(makeRecord(1));
      const sessionId = sessionIdOf(1);
      const events = makeEvents(sessionId, n);
      const t0 = performance.now();
      for (const event of events) await driver.insertEvent(sessionId, event);
      await untilSaved(ctx);
      const ms = performance.now() - t0;
      return JSON.stringify({ evPerSec: n / (ms / 1000), ms, ...memory(ctx) });
    },
    w3: async (c, subject: Subject, count: number) => {
      const ctx = c as unknown as Ctx;
      const driver = driverFor(ctx, subject);
      const sessionId = await seed(driver, 1, count);
      await untilSaved(ctx);
      let cursor: string | undefined;
      let seen = 0;
      const t0 = performance.now();
      do {
        const page = await driver.listEvents({ sessionId, cursor, limit: 100 });
        seen += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      const totalMs = performance.now() - t0;
      if (seen !== count) throw new Error(`W3 read ${seen} of ${count}`);
      return JSON.stringify({ totalMs, ...memory(ctx) });
    },
    w4: async (c, subject: Subject, sizes: number[]) => {
      const ctx = c as unknown as Ctx;
      const driver = driverFor(ctx, subject);
      const out: Record<string, number> = {};
      for (const [i, size] of sizes.entries()) {
        const sessionId = await seed(driver, i + 1, size);
        const times: number[] = [];
        for (let k = 0; k < 20; k++) {
          const t0 = performance.now();
          const tail = await listLatestEventsVia(driver, sessionId, 50);
          times.push(performance.now() - t0);
          if (tail.length !== 50 || tail[49]!.eventIndex !== size - 1) throw new Error("W4: wrong tail");
        }
        times.sort((a, b) => a - b);
        out[`tail${size}Ms`] = times[10]!;
      }
      await untilSaved(ctx);
      return JSON.stringify({ ...out, ...memory(ctx) });
    },
  },
  options: { sleepTimeout: 3_600_000, actionTimeout: 3_600_000 },
});

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

function engineRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : undefined;
}

async function main(): Promise<void> {
  const w1 = Number(arg("w1", "20000"));
  const w3 = Number(arg("w3", "20000"));
  const w4 = arg("w4", "1000,10000,20000").split(",").map(Number);
  const subjects = arg("subjects", "sqlite,state,reference-shape").split(",") as Subject[];
  const engine = await prepareRivetEngine();
  const scope = fileScopedTestContext();
  try {
    const registry = setup({
      use: { benchHost },
      enginePort: engine.port,
      startServices: false,
      noWelcome: true,
      maxIncomingMessageSize: 1 << 24,
      maxOutgoingMessageSize: 1 << 24,
    });
    const { client } = (await setupTest(scope.context as never, registry)) as unknown as {
      client: { benchHost: { getOrCreate(key: string[]): Record<"w1" | "w3" | "w4", (...args: unknown[]) => Promise<string>> } };
    };
    console.log(`load average at start: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
    for (const subject of subjects) {
      // A fresh actor per workload, so each starts from an empty state and database.
      const run = async (name: "w1" | "w3" | "w4", ...args: unknown[]) => {
        const handle = client.benchHost.getOrCreate([randomUUID()]);
        const result = JSON.parse(await retryUnrouted(() => handle[name](subject, ...args))) as Record<string, number>;
        const engineRss = engineRssMiB(runningEnginePid(engine));
        const figures = Object.entries({ ...result, engineRssMiB: engineRss ?? NaN })
          .map(([k, v]) => `${k}=${v.toFixed(k.endsWith("Sec") ? 0 : 2)}`)
          .join(" ");
        console.log(`${subject.padEnd(15)} ${name} ${figures}`);
      };
      // A size of 0 skips the workload.
      if (w1 > 0) await run("w1", w1);
      if (w3 > 0) await run("w3", w3);
      if (w4.every((n) => n > 0)) await run("w4", w4);
    }
    console.log(`load average at end: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  } finally {
    await scope.dispose();
    await engine.stop();
  }
  process.exit(0);
}

void main();
