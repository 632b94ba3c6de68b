import assert from "node:assert/strict";
import { insertEventsVia, listLatestEventsVia } from "../persist/capabilities.js";
import { assertSameData, expectConflict, insertAll, readAllEvents } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import {
  deeplyNestedEnvelope,
  fullRecord,
  largeEnvelope,
  makeEvent,
  makeEvents,
  minimalRecord,
  protoKeyEnvelope,
  protoKeyRecord,
  UNICODE_TEXT,
} from "./fixtures.js";

/** Assert `value` holds `"__proto__"` as an own key with `expected` as its value, and kept its plain prototype. */
function assertOwnProtoKey(value: unknown, expected: unknown, where: string): void {
  assert.ok(typeof value === "object" && value !== null, `${where} is an object`);
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${where}: the prototype is unchanged`);
  assert.ok(Object.hasOwn(value, "__proto__"), `${where} keeps "__proto__" as an own key`);
  assert.deepStrictEqual(Object.getOwnPropertyDescriptor(value, "__proto__")?.value, expected, `${where}["__proto__"]`);
}

/** Check the own `"__proto__"` keys of {@link protoKeyEnvelope} one by one. */
function assertProtoKeyPayload(payload: unknown, where: string): void {
  const params = (payload as { params: { update: unknown; list: unknown[] } }).params;
  assertOwnProtoKey(params, JSON.parse('{"injected":true,"inner":{"__proto__":1}}'), `${where}.params`);
  assertOwnProtoKey(Object.getOwnPropertyDescriptor(params, "__proto__")?.value.inner, 1, `${where}.params.__proto__.inner`);
  assertOwnProtoKey(params.update, "chunk", `${where}.params.update`);
  assertOwnProtoKey(params.list[0], null, `${where}.params.list[0]`);
}

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

  it("own \"__proto__\" keys (as JSON.parse makes them) in payloads round-trip as own keys, through every read and write path", async () => {
    const driver = ctx.driver();
    const first = makeEvent("s-proto", 0, { payload: protoKeyEnvelope("agent-s-proto") });
    const second = makeEvent("s-proto", 1, { payload: protoKeyEnvelope("agent-s-proto") });
    await driver.insertEvent("s-proto", first);
    await insertEventsVia(driver, "s-proto", [second]);
    const listed = await readAllEvents(driver, "s-proto");
    const tail = await listLatestEventsVia(driver, "s-proto", 2);
    for (const [where, events] of [["listEvents", listed], ["listLatestEvents", tail]] as const) {
      assertSameData(events, [first, second], where);
      events.forEach((event, i) => assertProtoKeyPayload(event.payload, `${where}[${i}].payload`));
    }
    // The key takes part in equality: an identical re-insert is a no-op, a changed value a conflict.
    await driver.insertEvent("s-proto", makeEvent("s-proto", 0, { payload: protoKeyEnvelope("agent-s-proto") }));
    const changed = makeEvent("s-proto", 0, { payload: protoKeyEnvelope("agent-s-proto") });
    Object.defineProperty((changed.payload as { params: object }).params, "__proto__", { value: { injected: false } });
    await expectConflict(() => driver.insertEvent("s-proto", changed), "id");
    assertSameData(await readAllEvents(driver, "s-proto"), [first, second]);
  });

  it("own \"__proto__\" keys in sessionInit, configOptions and modes round-trip as own keys", async () => {
    const record = protoKeyRecord("s-proto-rec");
    await ctx.driver().updateSession(record);
    const got = await ctx.driver().getSession("s-proto-rec");
    const [listed] = (await ctx.driver().listSessions()).items;
    for (const [where, value] of [["getSession", got], ["listSessions", listed]] as const) {
      assertSameData(value, record, where);
      assertOwnProtoKey(value?.sessionInit, { polluted: true }, `${where}.sessionInit`);
      assertOwnProtoKey(value?.configOptions?.[0], "x", `${where}.configOptions[0]`);
      assertOwnProtoKey(value?.modes, { a: [1] }, `${where}.modes`);
      assertOwnProtoKey(value?.modes?.availableModes[0], null, `${where}.modes.availableModes[0]`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, "Object.prototype is untouched");
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
