import { describe, expect, it } from "vitest";
import { InMemorySessionPersistDriver, PersistValidationError, type SessionEvent } from "../../src/index.js";
import { conformanceFixtures } from "../../src/testing.js";

const { makeEvent, makeEvents, minimalRecord } = conformanceFixtures;

async function sessionIds(driver: InMemorySessionPersistDriver): Promise<string[]> {
  return (await driver.listSessions({ limit: 1000 })).items.map((r) => r.id);
}

async function eventIndexes(driver: InMemorySessionPersistDriver, sessionId: string): Promise<number[]> {
  return (await driver.listEvents({ sessionId, limit: 1000 })).items.map((e) => e.eventIndex);
}

describe("InMemorySessionPersistDriver options", () => {
  it("defaults to 1024 sessions and 500 events per session", async () => {
    const driver = new InMemorySessionPersistDriver();
    await driver.insertEvents("s", makeEvents("s", 0, 501));
    expect((await driver.listLatestEvents("s", 1000)).length).toBe(500);
    for (let i = 0; i < 1025; i++) await driver.updateSession(minimalRecord(`r${i}`, i));
    const page = await driver.listSessions({ limit: 1000 });
    expect(page.items[0]?.id).toBe("r1"); // r0 was evicted, after "s"
    expect(await driver.getSession("r0")).toBeUndefined();
    expect(await driver.listEvents({ sessionId: "s" })).toEqual({ items: [] });
  });

  it.each([
    [{ maxSessions: 0 }, "options.maxSessions"],
    [{ maxSessions: -3 }, "options.maxSessions"],
    [{ maxSessions: 1.5 }, "options.maxSessions"],
    [{ maxSessions: Number.NaN }, "options.maxSessions"],
    [{ maxSessions: Number.POSITIVE_INFINITY }, "options.maxSessions"],
    [{ maxEventsPerSession: 0 }, "options.maxEventsPerSession"],
    [{ maxEventsPerSession: "10" as unknown as number }, "options.maxEventsPerSession"],
  ])("refuses %o with a PersistValidationError naming %s", (options, field) => {
    let error: unknown;
    try {
      new InMemorySessionPersistDriver(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PersistValidationError);
    expect((error as PersistValidationError).issues.map((i) => i.path)).toEqual([field]);
    expect((error as Error).message).toContain(field);
  });

  it("names every bad option at once", () => {
    expect(() => new InMemorySessionPersistDriver({ maxSessions: 0, maxEventsPerSession: -1 })).toThrow(
      /options\.maxSessions.*options\.maxEventsPerSession/,
    );
  });
});

describe("InMemorySessionPersistDriver eviction", () => {
  it("evicts the least recently active session, not the oldest created", async () => {
    const driver = new InMemorySessionPersistDriver({ maxSessions: 3 });
    await driver.updateSession(minimalRecord("a", 1));
    await driver.updateSession(minimalRecord("b", 2));
    await driver.updateSession(minimalRecord("c", 3));
    await driver.insertEvent("a", makeEvent("a", 0)); // "a" is now the most recently active
    await driver.updateSession(minimalRecord("d", 4));
    expect(await sessionIds(driver)).toEqual(["a", "c", "d"]);
    expect(await eventIndexes(driver, "a")).toEqual([0]);
  });

  it("counts an update of the record as activity, and reads as none", async () => {
    const driver = new InMemorySessionPersistDriver({ maxSessions: 2 });
    await driver.updateSession(minimalRecord("a", 1));
    await driver.updateSession(minimalRecord("b", 2));
    await driver.getSession("a");
    await driver.listEvents({ sessionId: "a" });
    await driver.updateSession({ ...minimalRecord("a", 1), lastConnectionId: "conn-2" }); // activity
    await driver.getSession("b"); // not activity
    await driver.updateSession(minimalRecord("c", 3));
    expect(await sessionIds(driver)).toEqual(["a", "c"]);
  });

  it("counts sessions that have events but no record, and frees their event ids on eviction", async () => {
    const driver = new InMemorySessionPersistDriver({ maxSessions: 2 });
    const orphan = makeEvent("orphan", 0);
    await driver.insertEvent("orphan", orphan);
    await driver.updateSession(minimalRecord("b", 2));
    await driver.updateSession(minimalRecord("c", 3));
    expect(await driver.listEvents({ sessionId: "orphan" })).toEqual({ items: [] });
    // The evicted event's id is free again: storing it under another session is no conflict.
    const moved: SessionEvent = { ...orphan, sessionId: "c" };
    await driver.insertEvent("c", moved);
    expect((await driver.listEvents({ sessionId: "c" })).items).toEqual([moved]);
  });

  it("drops a session's oldest events over maxEventsPerSession, keeping the newest in order", async () => {
    const driver = new InMemorySessionPersistDriver({ maxEventsPerSession: 5 });
    await driver.insertEvents("s", makeEvents("s", 0, 4));
    await driver.insertEvent("s", makeEvent("s", 10));
    await driver.insertEvent("s", makeEvent("s", 4)); // out of order: 0 is the oldest and goes
    expect(await eventIndexes(driver, "s")).toEqual([1, 2, 3, 4, 10]);
    await driver.insertEvents("s", makeEvents("s", 11, 14));
    expect(await eventIndexes(driver, "s")).toEqual([4, 10, 11, 12, 13]);
    expect(await driver.listLatestEvents("s", 2)).toEqual([makeEvent("s", 12), makeEvent("s", 13)]);
  });

  it("keeps exactly what a sorted, capped list would keep, over many out-of-order inserts", async () => {
    const cap = 4;
    const driver = new InMemorySessionPersistDriver({ maxEventsPerSession: cap });
    let model: number[] = [];
    let seed = 7;
    for (let step = 0; step < 300; step++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const index = step + (seed % 9) - 4; // mostly ascending, sometimes behind the newest
      // An index below everything kept (or dropped before) is accepted and dropped at once.
      if (index < 0 || model.includes(index)) continue;
      await driver.insertEvent("s", makeEvent("s", index, { id: `e${index}-${step}` }));
      model = [...model, index].sort((a, b) => a - b).slice(-cap);
      expect(await eventIndexes(driver, "s")).toEqual(model);
      expect((await driver.listLatestEvents("s", 2)).map((e) => e.eventIndex)).toEqual(model.slice(-2));
    }
  });

  it("caps each session on its own", async () => {
    const driver = new InMemorySessionPersistDriver({ maxEventsPerSession: 3 });
    await driver.insertEvents("a", makeEvents("a", 0, 6));
    await driver.insertEvents("b", makeEvents("b", 0, 2));
    expect(await eventIndexes(driver, "a")).toEqual([3, 4, 5]);
    expect(await eventIndexes(driver, "b")).toEqual([0, 1]);
  });

  it("frees the ids of dropped events", async () => {
    const driver = new InMemorySessionPersistDriver({ maxEventsPerSession: 2 });
    const first = makeEvent("s", 0);
    await driver.insertEvents("s", [first, makeEvent("s", 1), makeEvent("s", 2)]);
    const elsewhere: SessionEvent = { ...first, sessionId: "t" };
    await driver.insertEvent("t", elsewhere);
    expect((await driver.listEvents({ sessionId: "t" })).items).toEqual([elsewhere]);
  });
});

describe("InMemorySessionPersistDriver copies", () => {
  it("refuses a cyclic payload with a PersistValidationError naming the payload, and stores nothing", async () => {
    const driver = new InMemorySessionPersistDriver();
    const payload: Record<string, unknown> = { jsonrpc: "2.0", method: "x" };
    payload.self = payload;
    const event = { ...makeEvent("s", 0), payload } as unknown as SessionEvent;
    await expect(driver.insertEvent("s", event)).rejects.toThrow(/event\.payload: must be JSON-serializable/);
    await expect(driver.insertEvents("s", [makeEvent("s", 1), event])).rejects.toThrow(/events\[1\]\.payload/);
    expect(await driver.listEvents({ sessionId: "s" })).toEqual({ items: [] });
  });

  it("refuses a payload holding a function or a bigint", async () => {
    const driver = new InMemorySessionPersistDriver();
    for (const bad of [() => 1, 10n]) {
      const event = { ...makeEvent("s", 0), payload: { jsonrpc: "2.0", method: "x", params: { bad } } } as unknown as SessionEvent;
      await expect(driver.insertEvent("s", event)).rejects.toBeInstanceOf(PersistValidationError);
    }
    expect(await driver.listEvents({ sessionId: "s" })).toEqual({ items: [] });
  });
});
