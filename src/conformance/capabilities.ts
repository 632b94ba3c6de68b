import assert from "node:assert/strict";
import { closeVia, deleteSessionVia, insertEventsVia, listLatestEventsVia } from "../persist/capabilities.js";
import type { SessionPersistCapabilities, SessionPersistDriverWithCapabilities } from "../persist/types.js";
import {
  assertSameData,
  expectConflict,
  expectRejection,
  expectValidationError,
  insertAll,
  readAllEvents,
} from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { fullRecord, makeEvent, makeEvents, minimalRecord } from "./fixtures.js";

// Each optional capability is checked when the driver has it (detected with typeof at run
// time, as the client does). A driver without it is checked through the client's fallback
// in capabilities.ts instead, so every test asserts something either way.

type Capable = Required<SessionPersistDriverWithCapabilities>;

/** Whether the driver has the optional capability `name` (detected as the client does). */
export function has<K extends keyof SessionPersistCapabilities>(
  driver: SessionPersistDriverWithCapabilities,
  name: K,
): driver is SessionPersistDriverWithCapabilities & Pick<Capable, K> {
  return typeof driver[name] === "function";
}

/** insertEvents (atomic batches). */
export function insertEventsTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("insertEvents stores a batch in order (or the fallback does, one by one)", async () => {
    const events = makeEvents("s-batch", 0, ctx.events(50));
    await insertEventsVia(ctx.driver(), "s-batch", events);
    assertSameData(await readAllEvents(ctx.driver(), "s-batch"), events);
  });

  it("insertEvents: re-sending the same batch, or one overlapping it, is a no-op for the stored part", async () => {
    const events = makeEvents("s-resend", 0, ctx.events(10));
    const half = Math.ceil(events.length / 2);
    await insertEventsVia(ctx.driver(), "s-resend", events.slice(0, half));
    await insertEventsVia(ctx.driver(), "s-resend", structuredClone(events.slice(0, half)));
    await insertEventsVia(ctx.driver(), "s-resend", events);
    assertSameData(await readAllEvents(ctx.driver(), "s-resend"), events);
  });

  it("insertEvents: an exact repeat inside one batch (a retried entry) is stored once", async () => {
    const events = makeEvents("s-repeat", 0, ctx.events(5));
    const batch = [...events.slice(0, 3), structuredClone(events[1]!), ...events.slice(3)];
    await insertEventsVia(ctx.driver(), "s-repeat", batch);
    assertSameData(await readAllEvents(ctx.driver(), "s-repeat"), events);
  });

  it("insertEvents with an empty batch changes nothing", async () => {
    const driver = ctx.driver();
    if (has(driver, "insertEvents")) await driver.insertEvents("s-empty", []);
    else await insertEventsVia(driver, "s-empty", []);
    assert.deepEqual((await driver.listEvents({ sessionId: "s-empty" })).items, []);
  });

  it("insertEvents is atomic: a batch with one conflicting event writes nothing (the fallback keeps what preceded it)", async () => {
    const driver = ctx.driver();
    const stored = makeEvent("s-atomic", 3);
    await driver.insertEvent("s-atomic", stored);
    const batch = [makeEvent("s-atomic", 1), makeEvent("s-atomic", 2), makeEvent("s-atomic", 3, { id: "intruder" }), makeEvent("s-atomic", 4)];
    await expectConflict(() => insertEventsVia(driver, "s-atomic", batch), "eventIndex");
    const after = await readAllEvents(driver, "s-atomic");
    if (has(driver, "insertEvents")) assertSameData(after, [stored]);
    else assertSameData(after, [batch[0], batch[1], stored]);
  });

  it("insertEvents is atomic against id conflicts too, including a clash inside the batch", async () => {
    const driver = ctx.driver();
    if (!has(driver, "insertEvents")) {
      // The fallback inserts one by one: the second event under the same id is refused.
      const a = makeEvent("s-atomic-id", 0, { id: "dup" });
      await expectConflict(() => insertEventsVia(driver, "s-atomic-id", [a, makeEvent("s-atomic-id", 1, { id: "dup" })]), "id");
      assertSameData(await readAllEvents(driver, "s-atomic-id"), [a]);
      return;
    }
    await driver.insertEvent("s-other", makeEvent("s-other", 0, { id: "taken" }));
    await expectConflict(
      () => driver.insertEvents("s-atomic-id", [makeEvent("s-atomic-id", 0), makeEvent("s-atomic-id", 1, { id: "taken" })]),
      "id",
    );
    await expectConflict(
      () => driver.insertEvents("s-atomic-id", [makeEvent("s-atomic-id", 0, { id: "dup" }), makeEvent("s-atomic-id", 1, { id: "dup" })]),
      "id",
    );
    await expectConflict(
      () => driver.insertEvents("s-atomic-id", [makeEvent("s-atomic-id", 0), makeEvent("s-atomic-id", 0, { id: "same-index" })]),
      "eventIndex",
    );
    assert.deepEqual((await driver.listEvents({ sessionId: "s-atomic-id" })).items, []);
  });

  it("insertEvents refuses a batch with one invalid event, naming its position, and writes nothing", async () => {
    const driver = ctx.driver();
    const bad = { ...makeEvent("s-batch-val", 1), eventIndex: -1 };
    const batch = [makeEvent("s-batch-val", 0), bad];
    if (!has(driver, "insertEvents")) {
      await expectValidationError(() => insertEventsVia(driver, "s-batch-val", batch), "eventIndex");
      return;
    }
    const error = await expectValidationError(() => driver.insertEvents("s-batch-val", batch), "eventIndex");
    assert.ok(error.message.includes("[1]"), `the error names the position: ${error.message}`);
    assert.deepEqual((await driver.listEvents({ sessionId: "s-batch-val" })).items, []);
  });
}

/** listLatestEvents (the tail of a session). */
export function listLatestEventsTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("listLatestEvents returns exactly the last N, ascending", async () => {
    const events = makeEvents("s-tail", 0, ctx.events(30));
    await insertAll(ctx.driver(), events.slice().reverse());
    const tail = await listLatestEventsVia(ctx.driver(), "s-tail", 7);
    assertSameData(tail, events.slice(-7));
    assertSameData(await listLatestEventsVia(ctx.driver(), "s-tail", 1), events.slice(-1));
  });

  it("listLatestEvents with N above the session's size returns it all", async () => {
    const events = makeEvents("s-tail-small", 0, 4);
    await insertAll(ctx.driver(), events);
    assertSameData(await listLatestEventsVia(ctx.driver(), "s-tail-small", 50), events);
  });

  it("listLatestEvents of an unknown session is []", async () => {
    await insertAll(ctx.driver(), makeEvents("s-known", 0, 2));
    assert.deepEqual(await listLatestEventsVia(ctx.driver(), "s-unknown", 10), []);
  });

  it("listLatestEvents sees only its own session and refuses a bad limit", async () => {
    const driver = ctx.driver();
    const mine = makeEvents("s-tail-a", 0, 3);
    await insertAll(driver, [...mine, ...makeEvents("s-tail-b", 0, 5)]);
    assertSameData(await listLatestEventsVia(driver, "s-tail-a", 10), mine);
    const call = has(driver, "listLatestEvents")
      ? () => driver.listLatestEvents("s-tail-a", 0)
      : () => listLatestEventsVia(driver, "s-tail-a", 0);
    await expectValidationError(call, "limit");
  });
}

/** deleteSession. */
export function deleteSessionTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("deleteSession removes the record and its events, and leaves other sessions untouched (fallback: UnsupportedCapabilityError)", async () => {
    const driver = ctx.driver();
    const keep = fullRecord("s-keep", 1);
    const keepEvents = makeEvents("s-keep", 0, 3);
    await driver.updateSession(keep);
    await driver.updateSession(fullRecord("s-doomed", 2));
    await insertAll(driver, [...keepEvents, ...makeEvents("s-doomed", 0, 5)]);
    if (!has(driver, "deleteSession")) {
      await expectRejection(() => deleteSessionVia(driver, "s-doomed"), "UnsupportedCapabilityError", "persist.unsupported");
      assert.ok(await driver.getSession("s-doomed"), "nothing was deleted");
      return;
    }
    await driver.deleteSession("s-doomed");
    assert.equal(await driver.getSession("s-doomed"), undefined);
    assert.deepEqual((await driver.listEvents({ sessionId: "s-doomed" })).items, []);
    assertSameData((await driver.listSessions()).items, [keep]);
    assertSameData(await readAllEvents(driver, "s-keep"), keepEvents);
  });

  it("after deleteSession, the deleted events' ids and indexes are free again", async () => {
    const driver = ctx.driver();
    if (!has(driver, "deleteSession")) {
      await expectRejection(() => deleteSessionVia(driver, "s-reuse"), "UnsupportedCapabilityError", "persist.unsupported");
      return;
    }
    const events = makeEvents("s-reuse", 0, 3);
    await insertAll(driver, events);
    await driver.deleteSession("s-reuse");
    const again = events.map((e) => ({ ...e, connectionId: "conn-after-delete" }));
    await insertAll(driver, again);
    assertSameData(await readAllEvents(driver, "s-reuse"), again);
  });

  it("deleteSession of an unknown id is a no-op; of events without a record deletes the events", async () => {
    const driver = ctx.driver();
    if (!has(driver, "deleteSession")) {
      await expectRejection(() => deleteSessionVia(driver, "nobody"), "UnsupportedCapabilityError", "persist.unsupported");
      return;
    }
    await driver.updateSession(minimalRecord("s-stays"));
    await driver.deleteSession("nobody");
    assert.equal((await driver.listSessions()).items.length, 1);
    await insertAll(driver, makeEvents("s-orphan", 0, 2));
    await driver.deleteSession("s-orphan");
    assert.deepEqual((await driver.listEvents({ sessionId: "s-orphan" })).items, []);
    await expectValidationError(() => driver.deleteSession(""), "id");
  });
}

/** close(). */
export function closeTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("after close(), every call rejects with DriverClosedError (fallback: closeVia is a no-op)", async () => {
    const driver = ctx.driver();
    await driver.updateSession(minimalRecord("s-close"));
    if (!has(driver, "close")) {
      await closeVia(driver);
      assert.ok(await driver.getSession("s-close"), "a driver without close() keeps working");
      return;
    }
    await driver.close();
    ctx.markClosed();
    const event = makeEvent("s-close", 0);
    const calls: [string, () => Promise<unknown>][] = [
      ["getSession", () => driver.getSession("s-close")],
      ["listSessions", () => driver.listSessions()],
      ["updateSession", () => driver.updateSession(minimalRecord("s-close-2"))],
      ["listEvents", () => driver.listEvents({ sessionId: "s-close" })],
      ["insertEvent", () => driver.insertEvent("s-close", event)],
    ];
    if (has(driver, "insertSession")) calls.push(["insertSession", () => driver.insertSession(minimalRecord("s-close-3"))]);
    if (has(driver, "insertEvents")) calls.push(["insertEvents", () => driver.insertEvents("s-close", [event])]);
    if (has(driver, "listLatestEvents")) calls.push(["listLatestEvents", () => driver.listLatestEvents("s-close", 5)]);
    if (has(driver, "deleteSession")) calls.push(["deleteSession", () => driver.deleteSession("s-close")]);
    for (const [name, call] of calls) {
      try {
        await expectRejection(call, "DriverClosedError", "persist.closed");
      } catch (error) {
        throw new Error(`${name} after close(): ${(error as Error).message}`);
      }
    }
  });
}
