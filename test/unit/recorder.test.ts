import { describe, expect, it } from "vitest";
import { SessionRecorder, PersistenceFailedError } from "../../src/history/recorder.js";
import { InMemorySessionPersistDriver, type SessionEvent } from "../../src/index.js";
import { MinimalDriver } from "../support/minimal-driver.js";

const envelope = (n: number) => ({ jsonrpc: "2.0" as const, method: "session/update", params: { n } });

async function stored(driver: InMemorySessionPersistDriver | MinimalDriver, sessionId: string): Promise<SessionEvent[]> {
  return (await driver.listEvents({ sessionId, limit: 1000 })).items;
}

describe("SessionRecorder", () => {
  it("hands events to listeners at once and stores them, gap-free, by flush()", async () => {
    const driver = new InMemorySessionPersistDriver();
    const seen: number[] = [];
    const recorder = new SessionRecorder("s", { driver, onEvent: (e) => seen.push(e.eventIndex) });
    await recorder.ready();
    for (let i = 0; i < 5; i++) recorder.record({ connectionId: "c", sender: "agent", payload: envelope(i) });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(await stored(driver, "s")).toHaveLength(0); // written behind, not inline
    await recorder.flush();
    const events = await stored(driver, "s");
    expect(events.map((e) => e.eventIndex)).toEqual([0, 1, 2, 3, 4]);
    expect(events.map((e) => (e.payload as { params: { n: number } }).params.n)).toEqual([0, 1, 2, 3, 4]);
  });

  it("continues after the store's tail (a restarted process keeps indexes unique)", async () => {
    const driver = new InMemorySessionPersistDriver();
    const first = new SessionRecorder("s", { driver });
    await first.ready();
    first.record({ connectionId: "c", sender: "client", payload: envelope(0) });
    first.record({ connectionId: "c", sender: "agent", payload: envelope(1) });
    await first.flush();
    const second = new SessionRecorder("s", { driver });
    await second.ready();
    expect(second.record({ connectionId: "c2", sender: "client", payload: envelope(2) }).eventIndex).toBe(2);
    await second.flush();
    expect((await stored(driver, "s")).map((e) => e.eventIndex)).toEqual([0, 1, 2]);
  });

  it("writes a turn's events in few batches when the driver has insertEvents", async () => {
    const driver = new InMemorySessionPersistDriver();
    let batches = 0;
    const insertEvents = driver.insertEvents.bind(driver);
    driver.insertEvents = async (sessionId, events) => {
      batches++;
      return insertEvents(sessionId, events);
    };
    const recorder = new SessionRecorder("s", { driver });
    await recorder.ready();
    for (let i = 0; i < 50; i++) recorder.record({ connectionId: "c", sender: "agent", payload: envelope(i) });
    await recorder.flush();
    expect(batches).toBe(1);
    expect(await stored(driver, "s")).toHaveLength(50);
  });

  it("renumbers after another writer took its indexes, so both writers' events are kept", async () => {
    const driver = new InMemorySessionPersistDriver();
    const a = new SessionRecorder("s", { driver });
    const b = new SessionRecorder("s", { driver });
    await a.ready();
    await b.ready();
    a.record({ connectionId: "a", sender: "client", payload: envelope(1) });
    b.record({ connectionId: "b", sender: "client", payload: envelope(2) });
    await a.flush();
    await b.flush();
    const events = await stored(driver, "s");
    expect(events.map((e) => e.eventIndex)).toEqual([0, 1]);
    expect(events.map((e) => e.connectionId)).toEqual(["a", "b"]);
  });

  it("works on a driver with only the base methods", async () => {
    const driver = new MinimalDriver();
    const recorder = new SessionRecorder("s", { driver });
    await recorder.ready();
    for (let i = 0; i < 3; i++) recorder.record({ connectionId: "c", sender: "agent", payload: envelope(i) });
    await recorder.flush();
    expect((await stored(driver, "s")).map((e) => e.eventIndex)).toEqual([0, 1, 2]);
  });

  it("retries a failing store, then reports PersistenceFailedError and keeps the events for the next attempt", async () => {
    const driver = new InMemorySessionPersistDriver();
    let failing = true;
    let attempts = 0;
    const insertEvents = driver.insertEvents.bind(driver);
    driver.insertEvents = async (sessionId, events) => {
      attempts++;
      if (failing) throw new Error("disk full");
      return insertEvents(sessionId, events);
    };
    const errors: PersistenceFailedError[] = [];
    const recorder = new SessionRecorder("s", { driver, attempts: 3, retryDelayMs: 1, onError: (e) => errors.push(e) });
    await recorder.ready();
    recorder.record({ connectionId: "c", sender: "agent", payload: envelope(0) });
    const failure = await recorder.flush().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PersistenceFailedError);
    expect((failure as Error).message).toContain("disk full");
    expect(attempts).toBe(3);
    expect(errors).toHaveLength(1);
    expect(recorder.pending).toBe(1);

    failing = false;
    recorder.record({ connectionId: "c", sender: "agent", payload: envelope(1) });
    await recorder.flush();
    expect((await stored(driver, "s")).map((e) => e.eventIndex)).toEqual([0, 1]);
  });

  it("refuses to record before ready()", () => {
    const recorder = new SessionRecorder("s", { driver: new InMemorySessionPersistDriver() });
    expect(() => recorder.record({ connectionId: "c", sender: "agent", payload: envelope(0) })).toThrow(/before ready/);
  });

  it("stores an agent message holding a lone surrogate with U+FFFD in its place, and what follows it", async () => {
    const driver = new InMemorySessionPersistDriver();
    const seen: unknown[] = [];
    const recorder = new SessionRecorder("s", { driver, retryDelayMs: 1, onEvent: (e) => seen.push(e.payload) });
    await recorder.ready();
    const broken = { jsonrpc: "2.0" as const, method: "session/update", params: { text: "half \ud83d of an emoji", ["k\udc00"]: 1 } };
    recorder.record({ connectionId: "c", sender: "agent", payload: broken });
    recorder.record({ connectionId: "c", sender: "agent", payload: envelope(1) });
    await recorder.flush();
    const events = await stored(driver, "s");
    expect(events.map((e) => e.eventIndex)).toEqual([0, 1]);
    expect(events[0]!.payload).toEqual({ jsonrpc: "2.0", method: "session/update", params: { text: "half \ufffd of an emoji", ["k\ufffd"]: 1 } });
    expect(seen[0]).toBe(broken); // listeners saw what came over the wire
  });
});
