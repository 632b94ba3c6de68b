import assert from "node:assert/strict";
import { insertSessionVia } from "../persist/capabilities.js";
import type { SessionRecord } from "../persist/types.js";
import { assertSameData, expectValidationError, insertAll, readAllEvents } from "./assertions.js";
import { has } from "./capabilities.js";
import type { SuiteContext } from "./context.js";
import { fullRecord, makeEvents, minimalRecord } from "./fixtures.js";

/** How many callers race on one id in the concurrency test. */
const RACERS = 8;

/**
 * insertSession: store a record only when its id is free, atomically. A driver without it is
 * checked through `insertSessionVia`'s fallback (getSession then updateSession), which gives
 * the same answers to callers that do not race.
 */
export function insertSessionTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("insertSession stores a record whose id is free and returns true (or the fallback does)", async () => {
    const record = fullRecord("s-claim");
    assert.equal(await insertSessionVia(ctx.driver(), record), true);
    assertSameData(await ctx.driver().getSession("s-claim"), record);
    assertSameData((await ctx.driver().listSessions()).items, [record]);
  });

  it("insertSession returns false and changes nothing when a record with that id exists", async () => {
    const driver = ctx.driver();
    const stored = fullRecord("s-taken", 2000);
    await driver.updateSession(minimalRecord("s-before", 1000));
    await driver.updateSession(stored);
    const intruder: SessionRecord = { ...minimalRecord("s-taken", 500), agent: "intruder", agentSessionId: "" };
    assert.equal(await insertSessionVia(driver, intruder), false);
    assert.equal(await insertSessionVia(driver, stored), false, "even an identical record is not stored twice");
    assertSameData(await driver.getSession("s-taken"), stored);
    assert.deepEqual((await driver.listSessions()).items.map((r) => r.id), ["s-before", "s-taken"]);
  });

  it("insertSession takes an id that has events but no record, and leaves the events alone", async () => {
    const driver = ctx.driver();
    const events = makeEvents("s-orphan", 0, 3);
    await insertAll(driver, events);
    assert.equal(await insertSessionVia(driver, minimalRecord("s-orphan")), true);
    assertSameData(await driver.getSession("s-orphan"), minimalRecord("s-orphan"));
    assertSameData(await readAllEvents(driver, "s-orphan"), events);
  });

  it("a record stored by insertSession is replaced by updateSession as usual, and keeps no reference to its input", async () => {
    const driver = ctx.driver();
    const claim: SessionRecord = { ...minimalRecord("s-upsert"), agentSessionId: "", lastConnectionId: "" };
    const input = structuredClone(claim);
    assert.equal(await insertSessionVia(driver, input), true);
    input.agent = "mutated";
    assertSameData(await driver.getSession("s-upsert"), claim);
    const bound = fullRecord("s-upsert");
    await driver.updateSession(bound);
    assertSameData(await driver.getSession("s-upsert"), bound);
  });

  it(`of ${RACERS} concurrent insertSession calls on one id exactly one returns true, and its record is stored`, async () => {
    const driver = ctx.driver();
    const contenders = Array.from({ length: RACERS }, (_, i) => ({ ...fullRecord("s-race"), agent: `agent-${i}` }));
    if (!has(driver, "insertSession")) {
      // The fallback is documented as racy; callers that take turns still get exact answers.
      const results: boolean[] = [];
      for (const record of contenders) results.push(await insertSessionVia(driver, record));
      assert.deepEqual(results, [true, ...Array<boolean>(RACERS - 1).fill(false)]);
      assertSameData(await driver.getSession("s-race"), contenders[0]);
      return;
    }
    const results = await Promise.all(contenders.map((record) => driver.insertSession(record)));
    assert.equal(results.filter(Boolean).length, 1, `exactly one winner: ${JSON.stringify(results)}`);
    assertSameData(await driver.getSession("s-race"), contenders[results.indexOf(true)]);
    assert.equal((await driver.listSessions()).items.length, 1);
  });

  it("insertSession validates like updateSession, naming the field, and writes nothing", async () => {
    const driver = ctx.driver();
    const call = (record: unknown) => () =>
      has(driver, "insertSession") ? driver.insertSession(record as SessionRecord) : insertSessionVia(driver, record as SessionRecord);
    await expectValidationError(call({ ...minimalRecord("s-bad"), createdAt: -1 }), "session.createdAt");
    await expectValidationError(call({ ...minimalRecord("s-bad"), id: "" }), "session.id");
    await expectValidationError(call({ ...minimalRecord("s-bad"), sessionInit: { cwd: "\ud800", mcpServers: [] } }), "session.sessionInit.cwd");
    assert.deepEqual((await driver.listSessions()).items, []);
  });
}
