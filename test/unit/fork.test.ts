import { describe, expect, it } from "vitest";
import { recordedTurns } from "../../src/conformance/turns.js";
import { buildReplay, loadReplay } from "../../src/history/replay.js";
import { buildTranscript } from "../../src/history/transcript.js";
import { ForkIndexOutOfRangeError, ForkSourceNotFoundError, ForkTargetExistsError, LifecycleInputError } from "../../src/lifecycle/errors.js";
import { forkSession } from "../../src/lifecycle/fork.js";
import { applyRetention } from "../../src/lifecycle/retention.js";
import { listLatestEventsVia } from "../../src/persist/capabilities.js";
import { InMemorySessionPersistDriver } from "../../src/persist/memory.js";
import type { SessionEvent, SessionPersistDriver, SessionRecord } from "../../src/persist/types.js";
import { forkedFromDetails, forkOrigin } from "../../src/protocol/lifecycle-markers.js";

const NOW = 1_800_000_000_000;

function store(): InMemorySessionPersistDriver {
  return new InMemorySessionPersistDriver({ maxSessions: 1000, maxEventsPerSession: 1_000_000 });
}

const parentRecord: SessionRecord = {
  id: "parent",
  agent: "mock",
  agentSessionId: "agent-1",
  lastConnectionId: "conn-1",
  createdAt: NOW - 1000,
  sandboxId: "sbx",
  sessionInit: { cwd: "/work", mcpServers: [] },
  modes: { currentModeId: "code", availableModes: [{ id: "code", name: "Code" }] },
};

async function seedParent(driver: SessionPersistDriver, turns: number, chunks = 2): Promise<SessionEvent[]> {
  await driver.updateSession(parentRecord);
  const events = recordedTurns({ sessionId: "parent", turns, chunks, startAt: NOW - 900 });
  for (let i = 0; i < events.length; i += 1000) await (driver as InMemorySessionPersistDriver).insertEvents("parent", events.slice(i, i + 1000));
  return events;
}

async function all(driver: SessionPersistDriver, sessionId: string): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await driver.listEvents({ sessionId, cursor, limit: 1000 });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe("forkSession", () => {
  it("copies the whole history behind a forked_from marker; the fork has no agent session; the parent is untouched", async () => {
    const driver = store();
    const parentEvents = await seedParent(driver, 2);
    const result = await forkSession(driver, "parent", { newId: "child", now: NOW });
    expect(result).toMatchObject({ parentSessionId: "parent", parentEventIndex: 7, copiedEvents: 8 });
    expect(result.record).toEqual({
      id: "child",
      agent: "mock",
      agentSessionId: "",
      lastConnectionId: "",
      createdAt: NOW,
      sandboxId: "sbx",
      sessionInit: parentRecord.sessionInit,
      modes: parentRecord.modes,
    });
    expect(await driver.getSession("child")).toEqual(result.record);
    const child = await all(driver, "child");
    expect(child.map((e) => e.eventIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(forkedFromDetails(child[0]!.payload)).toEqual({ parentSessionId: "parent", parentEventIndex: 7, copiedEvents: 8, forkedAt: NOW });
    for (let i = 0; i < 8; i++) {
      const copy = child[i + 1]!;
      const original = parentEvents[i]!;
      expect(copy.payload).toEqual(original.payload);
      expect(copy).toMatchObject({ sessionId: "child", sender: original.sender, createdAt: original.createdAt, connectionId: original.connectionId });
      expect(copy.id).not.toBe(original.id);
    }
    expect(await all(driver, "parent")).toEqual(parentEvents);
    expect(await driver.getSession("parent")).toEqual(parentRecord);
  });

  it("at an index: the fork's replay holds the history up to there only, and shows the fork in the transcript", async () => {
    const driver = store();
    const parentEvents = await seedParent(driver, 2);
    const { record } = await forkSession(driver, "parent", { atEventIndex: 3, now: NOW });
    expect(record.id).toMatch(/^[0-9a-f-]{36}$/);
    const child = await all(driver, record.id);
    expect(child).toHaveLength(5);
    const transcript = buildTranscript(child);
    expect(transcript[0]).toEqual({ kind: "fork", parentSessionId: "parent", parentEventIndex: 3, eventIndex: 0 });
    expect(transcript.filter((e) => e.kind === "user").map((e) => (e as { text: string }).text)).toEqual(["turn 0"]);
    const replay = await loadReplay((limit) => listLatestEventsVia(driver, record.id, limit));
    expect(replay!.text).toContain("User: turn 0");
    expect(replay!.text).not.toContain("turn 1");
    expect(replay!.text).not.toContain("Forked");
    expect(replay!.entries).toEqual(buildReplay(parentEvents.slice(0, 4))!.entries.map((e) => ({ ...e, eventIndex: e.eventIndex + 1 })));
  });

  it("refuses bad input with typed errors and writes nothing", async () => {
    const driver = store();
    await seedParent(driver, 2);
    await driver.updateSession({ ...parentRecord, id: "taken" });
    const count = async () => (await driver.listSessions({ limit: 1000 })).items.length;
    await expect(forkSession(driver, "nobody")).rejects.toBeInstanceOf(ForkSourceNotFoundError);
    await expect(forkSession(driver, "parent", { atEventIndex: 8 })).rejects.toBeInstanceOf(ForkIndexOutOfRangeError);
    await expect(forkSession(driver, "parent", { atEventIndex: 8 })).rejects.toMatchObject({ code: "lifecycle.index_out_of_range", stored: { first: 0, last: 7 } });
    await expect(forkSession(driver, "parent", { newId: "taken" })).rejects.toBeInstanceOf(ForkTargetExistsError);
    await expect(forkSession(driver, "parent", { newId: "taken" })).rejects.toMatchObject({ code: "lifecycle.session_exists" });
    for (const bad of [{ atEventIndex: -1 }, { atEventIndex: 1.5 }, { newId: "" }, { newId: "parent" }, { batchSize: 0 }]) {
      await expect(forkSession(driver, "parent", bad)).rejects.toBeInstanceOf(LifecycleInputError);
    }
    expect(await count()).toBe(2);
    expect(await all(driver, "taken")).toEqual([]);
  });

  it("a trimmed parent forks from what is stored: an index before the cut is out of range", async () => {
    const driver = store();
    await seedParent(driver, 30);
    await applyRetention(driver, { maxEventsPerSession: 21, replay: { maxEvents: 2 } }, { now: NOW });
    const first = (await driver.listEvents({ sessionId: "parent", limit: 1 })).items[0]!.eventIndex;
    await expect(forkSession(driver, "parent", { atEventIndex: first - 1 })).rejects.toBeInstanceOf(ForkIndexOutOfRangeError);
    const { copiedEvents } = await forkSession(driver, "parent", { newId: "c", atEventIndex: 119 });
    expect(copiedEvents).toBe(21);
    const transcript = buildTranscript(await all(driver, "c"));
    expect(transcript.slice(0, 2).map((e) => e.kind)).toEqual(["fork", "trimmed"]);
  });

  it("a trimmed fork still names its parent: the trim marker carries the forked-from details", async () => {
    const driver = store();
    await seedParent(driver, 30);
    await forkSession(driver, "parent", { newId: "c", now: NOW });
    const report = await applyRetention(driver, { maxEventsPerSession: 21, replay: { maxEvents: 2 } }, { now: NOW });
    expect(report.trimmedSessions.map((t) => t.sessionId)).toEqual(["parent", "c"]);
    const events = await all(driver, "c");
    expect(forkOrigin(events[0]!.payload)).toEqual({ parentSessionId: "parent", parentEventIndex: 119, copiedEvents: 120, forkedAt: NOW });
    const transcript = buildTranscript(events);
    expect(transcript[0]).toEqual({ kind: "fork", parentSessionId: "parent", parentEventIndex: 119, eventIndex: events[0]!.eventIndex });
    expect(transcript[1]).toMatchObject({ kind: "trimmed" });
    // And after a second trim too.
    await driver.insertEvents("c", recordedTurns({ sessionId: "c", turns: 10, firstIndex: 121, idPrefix: "more-" }));
    await applyRetention(driver, { maxEventsPerSession: 21, replay: { maxEvents: 2 } }, { now: NOW + 1 });
    expect(forkOrigin((await all(driver, "c"))[0]!.payload)?.parentSessionId).toBe("parent");
  });

  it("two forks racing for one new id: one wins, the other writes nothing", async () => {
    const driver = store();
    await seedParent(driver, 5);
    const results = await Promise.allSettled([
      forkSession(driver, "parent", { newId: "race", atEventIndex: 3 }),
      forkSession(driver, "parent", { newId: "race", atEventIndex: 19 }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(ForkTargetExistsError);
    const copied = (won[0] as PromiseFulfilledResult<{ copiedEvents: number }>).value.copiedEvents;
    expect(await all(driver, "race")).toHaveLength(copied + 1);
  });

  it("an empty parent forks into an empty session with its marker", async () => {
    const driver = store();
    await driver.updateSession(parentRecord);
    const result = await forkSession(driver, "parent", { newId: "e" });
    expect(result).toMatchObject({ parentEventIndex: -1, copiedEvents: 0 });
    expect((await all(driver, "e")).map((e) => e.eventIndex)).toEqual([0]);
  });

  it("copies 100,000 events in batches through insertEvents", async () => {
    const driver = store();
    await seedParent(driver, 25_000, 2); // 100,000 events
    const calls: number[] = [];
    const insertEvents = driver.insertEvents.bind(driver);
    driver.insertEvents = async (id, events) => {
      calls.push(events.length);
      return insertEvents(id, events);
    };
    const started = performance.now();
    const result = await forkSession(driver, "parent", { newId: "big" });
    const ms = performance.now() - started;
    expect(result.copiedEvents).toBe(100_000);
    // 100 full batches and the marker: never one write per event.
    expect(calls).toEqual([...Array<number>(100).fill(1000), 1]);
    const [last] = await driver.listLatestEvents("big", 1);
    expect(last!.eventIndex).toBe(100_000);
    console.log(`fork of 100,000 events (memory driver): ${ms.toFixed(0)} ms`);
  }, 60_000);
});
