import assert from "node:assert/strict";
import { assertSameData, insertAll, readAllEvents } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { deeplyNestedEnvelope, fullRecord, largeEnvelope, makeEvent, makeEvents, minimalRecord, UNICODE_TEXT } from "./fixtures.js";

/** What is written comes back deep-equal: every record field, every event field, any payload. */
export function roundTripTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("getSession returns undefined for an unknown id", async () => {
    assert.equal(await ctx.driver().getSession("no-such-session"), undefined);
  });

  it("a record with every field round-trips deep-equal", async () => {
    const record = fullRecord("s-full");
    await ctx.driver().updateSession(record);
    assertSameData(await ctx.driver().getSession("s-full"), record);
  });

  it("a record with only the required fields round-trips without gaining fields", async () => {
    const record = minimalRecord("s-min");
    await ctx.driver().updateSession(record);
    assertSameData(await ctx.driver().getSession("s-min"), record);
  });

  it("modes: null is kept as null, not dropped", async () => {
    const record = { ...minimalRecord("s-null-modes"), modes: null, configOptions: [] };
    await ctx.driver().updateSession(record);
    const got = await ctx.driver().getSession("s-null-modes");
    assert.ok(got);
    assert.equal(got.modes, null);
    assertSameData(got, record);
  });

  it("an event round-trips deep-equal through listEvents", async () => {
    const event = makeEvent("s-rt", 0);
    await ctx.driver().insertEvent("s-rt", event);
    const page = await ctx.driver().listEvents({ sessionId: "s-rt" });
    assertSameData(page.items, [event]);
    assert.equal(page.nextCursor, undefined);
  });

  it("events may be stored for a session that has no record", async () => {
    const events = makeEvents("s-orphan", 0, 3);
    await insertAll(ctx.driver(), events);
    assertSameData(await readAllEvents(ctx.driver(), "s-orphan"), events);
    assert.equal(await ctx.driver().getSession("s-orphan"), undefined);
  });

  it("unicode (astral characters included) survives in ids, records and payloads", async () => {
    const sessionId = `s-😀-日本-\uE000`;
    const record = { ...fullRecord(sessionId), agentSessionId: UNICODE_TEXT, sandboxId: "𝔘" };
    await ctx.driver().updateSession(record);
    const event = makeEvent(sessionId, 0, { id: `evt-🚀-${UNICODE_TEXT}` });
    await ctx.driver().insertEvent(sessionId, event);
    assertSameData(await ctx.driver().getSession(sessionId), record);
    assertSameData((await ctx.driver().listEvents({ sessionId })).items, [event]);
  });

  it("a ~1 MB payload round-trips intact", async () => {
    const event = makeEvent("s-large", 0, { payload: largeEnvelope("agent-s-large") });
    await ctx.driver().insertEvent("s-large", event);
    const [got] = (await ctx.driver().listEvents({ sessionId: "s-large" })).items;
    assert.ok(JSON.stringify(got?.payload).length >= 1_000_000);
    assertSameData(got, event);
  });

  it("a deeply nested payload round-trips intact", async () => {
    const event = makeEvent("s-nested", 0, { payload: deeplyNestedEnvelope(64) });
    await ctx.driver().insertEvent("s-nested", event);
    assertSameData((await ctx.driver().listEvents({ sessionId: "s-nested" })).items, [event]);
  });

  it("listEvents of an unknown session is an empty last page", async () => {
    const page = await ctx.driver().listEvents({ sessionId: "nobody" });
    assert.deepEqual(page.items, []);
    assert.equal(page.nextCursor, undefined);
  });

  it("listSessions of an empty store is an empty last page", async () => {
    const page = await ctx.driver().listSessions();
    assert.deepEqual(page.items, []);
    assert.equal(page.nextCursor, undefined);
  });
}
