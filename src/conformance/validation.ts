import assert from "node:assert/strict";
import type { SessionEvent, SessionPersistDriver, SessionRecord } from "../persist/types.js";
import { assertSameData, expectValidationError, readAllEvents } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { fullRecord, makeEvent, minimalRecord, promptEnvelope } from "./fixtures.js";

// Bad input is refused with a PersistValidationError that names the field, and nothing is
// written. Inputs are cast on purpose: JavaScript callers can pass anything.

type Loose = Record<string, unknown>;

function badEvent(changes: Loose, remove: string[] = []): SessionEvent {
  const event: Loose = { ...makeEvent("s-val", 3), ...changes };
  for (const key of remove) delete event[key];
  return event as unknown as SessionEvent;
}

function badRecord(changes: Loose, remove: string[] = []): SessionRecord {
  const record: Loose = { ...minimalRecord("s-val-rec"), ...changes };
  for (const key of remove) delete record[key];
  return record as unknown as SessionRecord;
}

/** Validation at the driver boundary. */
export function validationTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  const badEvents: [string, SessionEvent, string][] = [
    ["a negative eventIndex", badEvent({ eventIndex: -1 }), "eventIndex"],
    ["a fractional eventIndex", badEvent({ eventIndex: 1.5 }), "eventIndex"],
    ["a string eventIndex", badEvent({ eventIndex: "3" }), "eventIndex"],
    ["a missing id", badEvent({}, ["id"]), "id"],
    ["an empty id", badEvent({ id: "" }), "id"],
    ["an unknown sender", badEvent({ sender: "robot" }), "sender"],
    ["a payload that is not an object", badEvent({ payload: "hello" }), "payload"],
    ["a null payload", badEvent({ payload: null }), "payload"],
    ["a sessionId other than the one it is inserted under", badEvent({ sessionId: "s-other" }), "sessionId"],
    ["a non-numeric createdAt", badEvent({ createdAt: "yesterday" }), "createdAt"],
  ];

  const cyclic: Loose = { jsonrpc: "2.0", method: "session/update" };
  cyclic.self = cyclic;
  badEvents.push(
    ["a cyclic payload", badEvent({ payload: cyclic }), "payload"],
    ["a payload holding a bigint", badEvent({ payload: { jsonrpc: "2.0", method: "x", params: { n: 10n } } }), "payload"],
  );

  for (const [what, event, field] of badEvents) {
    it(`insertEvent refuses ${what}, naming ${field}, and writes nothing`, async () => {
      await expectValidationError(() => ctx.driver().insertEvent("s-val", event), field);
      assert.deepEqual((await ctx.driver().listEvents({ sessionId: "s-val" })).items, []);
      assert.deepEqual((await ctx.driver().listEvents({ sessionId: "s-other" })).items, []);
    });
  }

  const badRecords: [string, SessionRecord, string][] = [
    ["a missing agent", badRecord({}, ["agent"]), "agent"],
    ["an empty id", badRecord({ id: "" }), "id"],
    ["a negative createdAt", badRecord({ createdAt: -5 }), "createdAt"],
    ["a string createdAt", badRecord({ createdAt: "now" }), "createdAt"],
    ["modes that are not an object", badRecord({ modes: "code" }), "modes"],
    ["configOptions that are not an array", badRecord({ configOptions: { id: "model" } }), "configOptions"],
    ["a non-string sandboxId", badRecord({ sandboxId: 7 }), "sandboxId"],
  ];

  for (const [what, record, field] of badRecords) {
    it(`updateSession refuses ${what}, naming ${field}, and writes nothing`, async () => {
      await expectValidationError(() => ctx.driver().updateSession(record), field);
      assert.deepEqual((await ctx.driver().listSessions()).items, []);
    });
  }

  it("an invalid updateSession leaves the stored record as it was", async () => {
    const stored = minimalRecord("s-val-rec");
    await ctx.driver().updateSession(stored);
    await expectValidationError(() => ctx.driver().updateSession(badRecord({ createdAt: -1 })), "createdAt");
    assertSameData(await ctx.driver().getSession("s-val-rec"), stored);
  });

  it("an invalid insertEvent leaves the session's events as they were", async () => {
    const stored = makeEvent("s-val", 0);
    await ctx.driver().insertEvent("s-val", stored);
    await expectValidationError(() => ctx.driver().insertEvent("s-val", badEvent({ id: stored.id, eventIndex: -1 })), "eventIndex");
    assertSameData(await readAllEvents(ctx.driver(), "s-val"), [stored]);
  });

  loneSurrogateTests(ctx);

  const pageRequests: [string, (d: SessionPersistDriver) => Promise<unknown>, string][] = [
    ["listEvents with limit 0", (d) => d.listEvents({ sessionId: "s-val", limit: 0 }), "limit"],
    ["listEvents with a fractional limit", (d) => d.listEvents({ sessionId: "s-val", limit: 2.5 }), "limit"],
    ["listEvents with an empty sessionId", (d) => d.listEvents({ sessionId: "" }), "sessionId"],
    ["listEvents with a non-string cursor", (d) => d.listEvents({ sessionId: "s-val", cursor: 5 as unknown as string }), "cursor"],
    ["listSessions with a negative limit", (d) => d.listSessions({ limit: -1 }), "limit"],
    ["listSessions with an empty cursor", (d) => d.listSessions({ cursor: "" }), "cursor"],
  ];

  for (const [what, call, field] of pageRequests) {
    it(`${what} is refused, naming ${field}`, async () => {
      await expectValidationError(() => call(ctx.driver()), field);
    });
  }
}

/** A record with every field, whose `field` is replaced by `value`. */
function recordWith(field: keyof SessionRecord, value: unknown): SessionRecord {
  return { ...fullRecord("s-lone"), [field]: value } as SessionRecord;
}

/**
 * A lone UTF-16 surrogate (half of a pair, or a reversed pair) has no UTF-8 form: PostgreSQL
 * refuses it and SQLite would store something else. Every driver refuses it, wherever it is
 * in an event or a record, naming the path, and writes nothing.
 */
function loneSurrogateTests(ctx: SuiteContext): void {
  const { it } = ctx.test;
  const payload = (params: unknown) => ({ jsonrpc: "2.0", method: "session/update", params }) as SessionEvent["payload"];

  const events: [string, SessionEvent, string][] = [
    ["its id", badEvent({ id: "evt-\ud800" }), "event.id"],
    ["its connectionId", badEvent({ connectionId: "conn-\udc00" }), "event.connectionId"],
    ["a payload string", badEvent({ payload: payload({ update: { content: { text: "half an emoji: \ud83d" } } }) }), "event.payload.params.update.content.text"],
    ["a string in a payload array", badEvent({ payload: promptEnvelope("a", 1, "\ude00\ud83d reversed pair") }), "event.payload.params.prompt.0.text"],
    ["a payload key", badEvent({ payload: payload({ ["k\udfff"]: 1 }) }), "event.payload.params"],
  ];
  for (const [where, event, path] of events) {
    it(`insertEvent refuses a lone surrogate in ${where}, naming ${path}, and writes nothing`, async () => {
      const error = await expectValidationError(() => ctx.driver().insertEvent("s-val", event), `${path}:`);
      assert.ok(error.message.includes("lone UTF-16 surrogate"), error.message);
      assert.deepEqual((await ctx.driver().listEvents({ sessionId: "s-val" })).items, []);
    });
  }

  it("a lone surrogate in a session id is refused by every call that takes one", async () => {
    const driver = ctx.driver();
    const id = "s-\ud800";
    await expectValidationError(() => driver.insertEvent(id, { ...makeEvent("s-val", 0), sessionId: id }), "sessionId");
    await expectValidationError(() => driver.getSession(id), "id");
    await expectValidationError(() => driver.listEvents({ sessionId: id }), "sessionId");
    assert.deepEqual((await driver.listSessions()).items, []);
  });

  it("insertEvents refuses a batch with a lone surrogate in one payload, naming its position, and writes nothing", async () => {
    const driver = ctx.driver();
    if (typeof driver.insertEvents !== "function") return; // the fallback is insertEvent, checked above
    const bad = { ...makeEvent("s-val", 1), payload: payload({ text: "\udbff" }) };
    await expectValidationError(() => driver.insertEvents!("s-val", [makeEvent("s-val", 0), bad]), "events[1].payload.params.text");
    assert.deepEqual((await driver.listEvents({ sessionId: "s-val" })).items, []);
  });

  const mcpServer = { name: "fs", command: "npx", args: [], env: [{ name: "TOKEN", value: "\ud800" }] };
  const records: [string, SessionRecord, string][] = [
    ["its id", recordWith("id", "s-\udc00"), "session.id"],
    ["its agent", recordWith("agent", "claude-\ud800"), "session.agent"],
    ["its agentSessionId", recordWith("agentSessionId", "\udfff"), "session.agentSessionId"],
    ["its lastConnectionId", recordWith("lastConnectionId", "conn-\ud800x"), "session.lastConnectionId"],
    ["its sandboxId", recordWith("sandboxId", "sbx-\udc00"), "session.sandboxId"],
    ["sessionInit", recordWith("sessionInit", { cwd: "/tmp/\ud800", mcpServers: [] }), "session.sessionInit.cwd"],
    ["an env value deep in sessionInit", recordWith("sessionInit", { cwd: "/", mcpServers: [mcpServer] }), "session.sessionInit.mcpServers.0.env.0.value"],
    ["configOptions", recordWith("configOptions", [{ id: "model", name: "\udc00", type: "boolean", currentValue: true }]), "session.configOptions.0.name"],
    ["modes", recordWith("modes", { currentModeId: "code\ud800", availableModes: [] }), "session.modes.currentModeId"],
    ["a key of modes", recordWith("modes", { currentModeId: "code", availableModes: [], ["\ud800"]: 1 }), "session.modes"],
  ];
  for (const [where, record, path] of records) {
    it(`updateSession refuses a lone surrogate in ${where}, naming ${path}, and writes nothing`, async () => {
      const error = await expectValidationError(() => ctx.driver().updateSession(record), `${path}:`);
      assert.ok(error.message.includes("lone UTF-16 surrogate"), error.message);
      assert.deepEqual((await ctx.driver().listSessions()).items, []);
    });
  }

  it("a record update with a lone surrogate leaves the stored record as it was", async () => {
    const stored = fullRecord("s-lone");
    await ctx.driver().updateSession(stored);
    await expectValidationError(() => ctx.driver().updateSession(recordWith("agentSessionId", "\ud800")), "session.agentSessionId");
    assertSameData(await ctx.driver().getSession("s-lone"), stored);
  });
}
