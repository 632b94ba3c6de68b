import { randomUUID } from "node:crypto";
import { setupTest } from "rivetkit/test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RetentionReport, RivetPersistData, RivetRetentionStatus } from "../../drivers/rivet.js";
import type { SessionEvent, SessionRecord } from "../../src/index.js";
import { fileScopedTestContext, prepareRivetEngine, type RivetEngine } from "../support/rivet-engine.js";
import { HostedDriver, hostRegistry, retryUnrouted, type HostClient, type HostHandle, type HostOptions } from "../support/rivet-host.js";

// RivetSessionPersistDriver in real actors (a local engine, the registry, the client), on
// what only an actor shows: what it stored is there after the actor sleeps and wakes (the
// driver is built again in createVars over the saved state and database), a state written in
// the reference driver's layout opens (and moves into SQLite when the actor has a database),
// and the caps drop by their rule and say so.

// The local engine sometimes takes 15 s to place a new actor on a busy machine (see retryUnrouted).
vi.setConfig({ testTimeout: 120_000 });

let engine: RivetEngine;
let client: HostClient;
const scope = fileScopedTestContext();

beforeAll(async () => {
  engine = await prepareRivetEngine();
  ({ client } = (await setupTest(scope.context as never, hostRegistry(engine.port))) as unknown as { client: HostClient });
}, 120_000);

afterAll(async () => {
  await scope.dispose();
  await engine?.stop();
});

const host = (kind: "stateHost" | "sqliteHost", options: HostOptions = {}): HostHandle =>
  client[kind].getOrCreate([randomUUID()], { createWithInput: { options } });

const record = (id: string, createdAt: number): SessionRecord => ({ id, agent: "mock", agentSessionId: `a-${id}`, lastConnectionId: "c1", createdAt });
const event = (sessionId: string, eventIndex: number, payload: Record<string, unknown> = {}): SessionEvent => ({
  id: `${sessionId}-e${eventIndex}`,
  eventIndex,
  sessionId,
  createdAt: 1_700_000_000_000 + eventIndex,
  connectionId: "c1",
  sender: "agent",
  payload: { jsonrpc: "2.0", method: "session/update", params: { n: eventIndex, ...payload } },
});

async function wake(handle: HostHandle): Promise<void> {
  await putToSleep(handle, () => handle.nap());
}

/**
 * Run `sleep` (an action that ends with `c.sleep()`) and wait for a woken instance. `c.sleep()`
 * only asks for the sleep: a call right after it may still reach the instance going to sleep
 * (whose driver still holds what it opened). Ask until a woken instance (createVars ran
 * again) answers, for up to 30 s.
 */
async function putToSleep(handle: HostHandle, sleep: () => Promise<void>): Promise<void> {
  const before = await retryUnrouted(() => handle.wakes());
  await sleep();
  const giveUpAt = Date.now() + 30_000;
  let now = await retryUnrouted(() => handle.wakes());
  while (now <= before && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    now = await retryUnrouted(() => handle.wakes());
  }
  expect(now).toBeGreaterThan(before);
}

for (const kind of ["sqliteHost", "stateHost"] as const) {
  describe(`events in ${kind === "sqliteHost" ? "the actor's SQLite database" : "the actor state"}`, () => {
    it("keeps records and events through sleep and wake, own __proto__ keys and astral characters included", async () => {
      const handle = host(kind);
      const driver = new HostedDriver(handle);
      const odd = JSON.parse('{"__proto__": {"x": 1}, "text": "\\ud83d\\ude00 caf\\u00e9"}') as Record<string, unknown>;
      const s1 = { ...record("s-😀", 5), sessionInit: { cwd: "/w", mcpServers: [] } };
      await driver.updateSession(s1);
      await driver.insertEvents("s-😀", [event("s-😀", 0, odd), event("s-😀", 1)]);
      await driver.insertEvent("orphan", event("orphan", 0));
      await wake(handle);
      expect(await driver.getSession("s-😀")).toEqual(s1);
      const events = (await driver.listEvents({ sessionId: "s-😀" })).items;
      expect(events.map((e) => e.id)).toEqual(["s-😀-e0", "s-😀-e1"]);
      const params = (events[0]!.payload as { params: Record<string, unknown> }).params;
      expect(Object.hasOwn(params, "__proto__")).toBe(true);
      expect(params.text).toBe("😀 café");
      expect((await driver.listEvents({ sessionId: "orphan" })).items).toHaveLength(1);
      // A conflict is still a conflict after the wake (the id index was rebuilt).
      await expect(driver.insertEvent("other", { ...event("other", 0), id: "s-😀-e1" })).rejects.toMatchObject({ name: "EventConflictError", reason: "id" });
      const status = JSON.parse(await handle.retention()) as RivetRetentionStatus;
      expect(status.eventStorage).toBe(kind === "sqliteHost" ? "sqlite" : "state");
      // The records are where a reader of c.state expects them, in either storage.
      const data = JSON.parse(await handle.stateJson("_sandboxAgentPersist")) as RivetPersistData;
      expect(Object.keys(data.sessions)).toEqual(["s-😀"]);
      expect(Object.keys(data.events).length).toBe(kind === "sqliteHost" ? 0 : 2);
    });

    it("opens a state written in the reference driver's layout" + (kind === "sqliteHost" ? ", moving its events into SQLite" : ""), async () => {
      const handle = host(kind);
      const driver = new HostedDriver(handle);
      await driver.getSession("warm-up");
      const reference = { sessions: { r1: record("r1", 1) }, events: { r1: [event("r1", 0), event("r1", 1)] } };
      await putToSleep(handle, () => retryUnrouted(() => handle.plantState("_sandboxAgentPersist", JSON.stringify(reference))));
      expect(await retryUnrouted(() => driver.getSession("r1"))).toEqual(record("r1", 1));
      expect((await driver.listEvents({ sessionId: "r1" })).items).toEqual(reference.events.r1);
      await driver.insertEvent("r1", event("r1", 2));
      const data = JSON.parse(await handle.stateJson("_sandboxAgentPersist")) as RivetPersistData;
      expect(data.durableAgent?.eventStorage).toBe(kind === "sqliteHost" ? "sqlite" : "state");
      expect(data.events.r1?.length ?? 0).toBe(kind === "sqliteHost" ? 0 : 3);
      await wake(handle);
      expect((await driver.listEvents({ sessionId: "r1" })).items.map((e) => e.eventIndex)).toEqual([0, 1, 2]);
    });

    if (kind === "sqliteHost") {
      it("moves a state written in state mode (own __proto__ keys escaped there) into SQLite with the keys restored", async () => {
        const handle = host(kind);
        const driver = new HostedDriver(handle);
        await driver.getSession("warm-up");
        // What the driver writes in state mode: own "__proto__" keys escaped with a U+0000 prefix.
        const stored = event("m1", 0, JSON.parse('{"\\u0000__proto__": {"x": 1}}') as Record<string, unknown>);
        const written = { sessions: { m1: record("m1", 1) }, events: { m1: [stored] }, durableAgent: { eventStorage: "state", droppedSessions: 0, droppedEvents: 0 } };
        await putToSleep(handle, () => retryUnrouted(() => handle.plantState("_sandboxAgentPersist", JSON.stringify(written))));
        const [back] = (await retryUnrouted(() => driver.listEvents({ sessionId: "m1" }))).items;
        const params = (back!.payload as { params: Record<string, unknown> }).params;
        expect(Object.hasOwn(params, "__proto__")).toBe(true);
        expect(Object.keys(params).some((key) => key.startsWith("\u0000"))).toBe(false);
      });
    }

    it("keeps the caps: oldest events, then oldest sessions, then bytes, each drop reported and counted", async () => {
      const handle = host(kind, { maxEventsPerSession: 10, maxSessions: 10, maxBytes: 20_000 });
      const driver = new HostedDriver(handle);
      await driver.updateSession(record("s-old", 1));
      for (let i = 0; i < 15; i++) await driver.insertEvent("s-old", event("s-old", i));
      expect((await driver.listEvents({ sessionId: "s-old" })).items.map((e) => e.eventIndex)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
      for (let i = 0; i < 10; i++) await driver.updateSession(record(`s-${i}`, 10 + i));
      // 11 sessions: the oldest by createdAt went whole.
      expect(await driver.getSession("s-old")).toBeUndefined();
      expect((await driver.listEvents({ sessionId: "s-old" })).items).toEqual([]);
      expect((await driver.listSessions()).items).toHaveLength(10);
      // Bytes: ~3 KB events in two sessions; over 20,000 bytes the older session goes first.
      const big = (sessionId: string, i: number) => event(sessionId, i, { blob: "x".repeat(3000) });
      for (let i = 0; i < 4; i++) await driver.insertEvent("s-0", big("s-0", i));
      for (let i = 0; i < 4; i++) await driver.insertEvent("s-9", big("s-9", i));
      expect(await driver.getSession("s-0")).toBeUndefined();
      expect((await driver.listEvents({ sessionId: "s-9" })).items).toHaveLength(4);
      // An event larger than maxBytes alone could never be kept: refused, nothing written.
      await expect(driver.insertEvent("s-9", event("s-9", 9, { blob: "y".repeat(25_000) }))).rejects.toMatchObject({
        name: "PersistValidationError",
        message: expect.stringContaining("maxBytes"),
      });
      const reports = JSON.parse(await handle.reports()) as RetentionReport[];
      expect(reports.filter((r) => r.reason === "maxEventsPerSession").reduce((n, r) => n + r.droppedEvents, 0)).toBe(5);
      expect(reports.find((r) => r.reason === "maxSessions")).toMatchObject({ sessionId: "s-old", droppedSession: true, droppedEvents: 10 });
      expect(reports.find((r) => r.reason === "maxBytes")).toMatchObject({ sessionId: "s-0", droppedSession: true, droppedEvents: 4 });
      const status = JSON.parse(await handle.retention()) as RivetRetentionStatus;
      expect(status).toMatchObject({ droppedSessions: 2, droppedEvents: 19, limits: { maxEventsPerSession: 10, maxSessions: 10, maxBytes: 20_000 } });
      expect(status.bytes).toBeLessThanOrEqual(20_000);
      // The counters are in the state: they survive a wake.
      await wake(handle);
      expect(JSON.parse(await handle.retention())).toMatchObject({ droppedSessions: 2, droppedEvents: 19 });
    });
  });
}
