import assert from "node:assert/strict";
import type { SessionEvent, SessionPersistDriver, SessionRecord } from "../persist/types.js";
import { assertSameData, expectValidationError, readAllEvents } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { makeEvent, minimalRecord } from "./fixtures.js";

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
