import assert from "node:assert/strict";
import { describe, it } from "vitest";
import {
  DriverClosedError,
  EventConflictError,
  PersistDriver,
  PersistValidationError,
  type EventClash,
  type PersistBackend,
  type SessionEvent,
  type SessionKey,
  type SessionRecord,
} from "../../src/driver.js";
import { conformanceFixtures } from "../../src/testing.js";
import { JsonMapBackend } from "../support/example-backend.js";

// The kit's side of the contract, seen from a backend: what it is asked, and what the kit
// makes of its answers. (The conformance suite checks the drivers built on it as wholes.)

const { makeEvent, makeEvents, minimalRecord } = conformanceFixtures;

/** A backend over the example one that records every call and can be told what to answer. */
class ScriptedBackend implements PersistBackend {
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly inner = new JsonMapBackend();
  /** Answers for the next insertEvents calls, used before the real store is asked. */
  readonly insertAnswers: ((events: readonly SessionEvent[]) => readonly EventClash[] | undefined)[] = [];
  failNext: Error | undefined;
  checkEvent?: (event: SessionEvent, path: string) => { path: string; message: string }[] | undefined;

  #log(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }
  readSession(id: string) {
    this.#log("readSession", [id]);
    return this.inner.readSession(id);
  }
  writeSession(record: SessionRecord) {
    this.#log("writeSession", [record]);
    this.inner.writeSession(record);
  }
  insertSession(record: SessionRecord) {
    this.#log("insertSession", [record]);
    return this.inner.insertSession(record);
  }
  scanSessions(after: SessionKey | undefined, limit: number) {
    this.#log("scanSessions", [after, limit]);
    return this.inner.scanSessions(after, limit);
  }
  async scanEvents(sessionId: string, afterIndex: number, limit: number) {
    this.#log("scanEvents", [sessionId, afterIndex, limit]);
    return this.inner.scanEvents(sessionId, afterIndex, limit);
  }
  readTail(sessionId: string, limit: number) {
    this.#log("readTail", [sessionId, limit]);
    return this.inner.readTail(sessionId, limit);
  }
  async insertEvents(sessionId: string, events: readonly SessionEvent[]) {
    this.#log("insertEvents", [sessionId, events.map((e) => e.eventIndex)]);
    const scripted = this.insertAnswers.shift();
    return scripted ? scripted(events) : this.inner.insertEvents(sessionId, events);
  }
  deleteSession(id: string) {
    this.#log("deleteSession", [id]);
    this.inner.deleteSession(id);
  }
  close() {
    this.#log("close", []);
  }
}

function setup(): { backend: ScriptedBackend; driver: PersistDriver } {
  const backend = new ScriptedBackend();
  return { backend, driver: new PersistDriver("ScriptedDriver", backend) };
}

describe("PersistDriver: what the backend is asked", () => {
  it("nothing at all for invalid input", async () => {
    const { backend, driver } = setup();
    await assert.rejects(driver.insertEvent("s", { ...makeEvent("s", 0), eventIndex: -1 }), PersistValidationError);
    await assert.rejects(driver.insertEvents("s", [makeEvent("s", 0), makeEvent("t", 1)]), PersistValidationError);
    await assert.rejects(driver.updateSession({ ...minimalRecord("s"), createdAt: -1 }), PersistValidationError);
    await assert.rejects(driver.listEvents({ sessionId: "s", cursor: "not-a-cursor" }), /Invalid cursor/);
    await assert.rejects(driver.listLatestEvents("s", 0), PersistValidationError);
    await assert.rejects(driver.getSession(""), PersistValidationError);
    assert.deepEqual(backend.calls, []);
  });

  it("one row more than a page, and a cursor only when that row came back", async () => {
    const { backend, driver } = setup();
    await driver.insertEvents("s", makeEvents("s", 0, 5));
    backend.calls.length = 0;
    const first = await driver.listEvents({ sessionId: "s", limit: 2 });
    const second = await driver.listEvents({ sessionId: "s", limit: 3, cursor: first.nextCursor });
    assert.deepEqual(backend.calls, [
      { method: "scanEvents", args: ["s", -1, 3] },
      { method: "scanEvents", args: ["s", 1, 4] },
    ]);
    assert.deepEqual(first.items.map((e) => e.eventIndex), [0, 1]);
    assert.deepEqual(second.items.map((e) => e.eventIndex), [2, 3, 4]);
    assert.equal(second.nextCursor, undefined, "exactly `limit` left: no cursor");
  });

  it("batches without their repeats, and the backend's own checks with each event's position", async () => {
    const { backend, driver } = setup();
    const events = makeEvents("s", 0, 3);
    await driver.insertEvents("s", [events[0]!, events[1]!, structuredClone(events[0]!), events[2]!]);
    assert.deepEqual(backend.calls, [{ method: "insertEvents", args: ["s", [0, 1, 2]] }]);
    backend.checkEvent = (event, path) =>
      event.connectionId === "bad" ? [{ path: `${path}.connectionId`, message: "not storable here" }] : undefined;
    const error = await driver
      .insertEvents("s", [makeEvent("s", 3), makeEvent("s", 3), { ...makeEvent("s", 4), connectionId: "bad" }])
      .catch((e: unknown) => e);
    assert.ok(error instanceof PersistValidationError);
    assert.deepEqual(error.issues.map((i) => i.path), ["events[2].connectionId"]);
  });
});

describe("PersistDriver: what it makes of the backend's answers", () => {
  it("drops what is stored exactly and sends the rest again; a real clash is a conflict and nothing is written", async () => {
    const { backend, driver } = setup();
    const events = makeEvents("s", 0, 4);
    await driver.insertEvents("s", events.slice(0, 2));
    backend.calls.length = 0;
    await driver.insertEvents("s", events);
    assert.deepEqual(backend.calls.map((c) => c.args[1]), [[0, 1, 2, 3], [2, 3]]);

    const changed = { ...events[1]!, connectionId: "other" };
    const error = await driver.insertEvents("s", [makeEvent("s", 4), changed]).catch((e: unknown) => e);
    assert.ok(error instanceof EventConflictError);
    assert.equal(error.reason, "id");
    const taken = await driver.insertEvent("s", makeEvent("s", 2, { id: "intruder" })).catch((e: unknown) => e);
    assert.ok(taken instanceof EventConflictError);
    assert.equal(taken.reason, "eventIndex");
    assert.deepEqual((await driver.listEvents({ sessionId: "s" })).items.map((e) => e.eventIndex), [0, 1, 2, 3]);
  });

  it("retries an insert refused by keys that were free again when the backend looked, a few times, then calls it a conflict", async () => {
    const { backend, driver } = setup();
    backend.insertAnswers.push(() => [], () => []);
    await driver.insertEvent("s", makeEvent("s", 0));
    assert.equal(backend.calls.length, 3);
    assert.equal((await driver.listEvents({ sessionId: "s" })).items.length, 1);

    backend.calls.length = 0;
    for (let i = 0; i < 10; i++) backend.insertAnswers.push(() => []);
    const error = await driver.insertEvent("s", makeEvent("s", 1)).catch((e: unknown) => e);
    assert.ok(error instanceof EventConflictError);
    assert.equal(error.reason, "eventIndex");
    assert.equal(backend.calls.length, 5);
  });

  it("rejects every call after close() without asking the backend, and closes it once", async () => {
    const { backend, driver } = setup();
    await driver.close();
    await driver.close();
    await assert.rejects(driver.getSession("s"), DriverClosedError);
    await assert.rejects(driver.insertEvent("s", makeEvent("s", 0)), DriverClosedError);
    assert.deepEqual(backend.calls, [{ method: "close", args: [] }]);
  });

  it("reports the failure of a call the close cut short as DriverClosedError, with the backend's error as its cause", async () => {
    const { backend, driver } = setup();
    const cut = new Error("the pool was ended");
    backend.failNext = cut;
    const pending = driver.listEvents({ sessionId: "s" });
    await driver.close();
    const error = await pending.catch((e: unknown) => e);
    assert.ok(error instanceof DriverClosedError, String(error));
    assert.equal(error.cause, cut);
    // While open, a backend failure is the caller's as it is.
    const open = setup();
    open.backend.failNext = cut;
    assert.equal(await open.driver.getSession("s").catch((e: unknown) => e), cut);
  });
});
