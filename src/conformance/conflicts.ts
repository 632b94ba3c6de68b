import assert from "node:assert/strict";
import { assertSameData, expectConflict, insertAll, readAllEvents } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { makeEvent, makeEvents } from "./fixtures.js";

/** Idempotent re-inserts, conflicts by id and by eventIndex, ids unique across sessions, isolation. */
export function conflictTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("re-inserting an identical event is a no-op", async () => {
    const events = makeEvents("s-idem", 0, 3);
    await insertAll(ctx.driver(), events);
    await ctx.driver().insertEvent("s-idem", structuredClone(events[1]!));
    // Same content with keys in another order is still the same event.
    const reordered = JSON.parse(JSON.stringify({ ...events[2]!.payload, jsonrpc: "2.0" })) as typeof events[2]["payload"];
    await ctx.driver().insertEvent("s-idem", { ...events[2]!, payload: reordered });
    assertSameData(await readAllEvents(ctx.driver(), "s-idem"), events);
  });

  it("a different event under a stored id is an EventConflictError('id'); the stored one is untouched", async () => {
    const stored = makeEvent("s-cid", 0);
    await ctx.driver().insertEvent("s-cid", stored);
    const sameIndex = { ...stored, connectionId: "other-connection" };
    await expectConflict(() => ctx.driver().insertEvent("s-cid", sameIndex), "id");
    const otherIndex = makeEvent("s-cid", 5, { id: stored.id });
    await expectConflict(() => ctx.driver().insertEvent("s-cid", otherIndex), "id");
    assertSameData(await readAllEvents(ctx.driver(), "s-cid"), [stored]);
  });

  it("a different event at a taken eventIndex is an EventConflictError('eventIndex'); the stored one is untouched", async () => {
    const stored = makeEvent("s-cidx", 4);
    await ctx.driver().insertEvent("s-cidx", stored);
    const intruder = makeEvent("s-cidx", 4, { id: "another-id" });
    await expectConflict(() => ctx.driver().insertEvent("s-cidx", intruder), "eventIndex");
    assertSameData(await readAllEvents(ctx.driver(), "s-cidx"), [stored]);
    // The refused id was not reserved either: it can be stored at a free index.
    const later = { ...intruder, eventIndex: 5 };
    await ctx.driver().insertEvent("s-cidx", later);
    assertSameData(await readAllEvents(ctx.driver(), "s-cidx"), [stored, later]);
  });

  it("an event id is unique across sessions: the same id in another session is a conflict", async () => {
    const stored = makeEvent("s-one", 0, { id: "shared-id" });
    await ctx.driver().insertEvent("s-one", stored);
    const elsewhere = makeEvent("s-two", 0, { id: "shared-id" });
    await expectConflict(() => ctx.driver().insertEvent("s-two", elsewhere), "id");
    assertSameData(await readAllEvents(ctx.driver(), "s-one"), [stored]);
    assert.deepEqual((await ctx.driver().listEvents({ sessionId: "s-two" })).items, []);
  });

  it("sessions are isolated: the same eventIndex in two sessions, each listing shows only its own", async () => {
    const a = makeEvents("s-iso-a", 0, 5);
    const b = makeEvents("s-iso-b", 0, 5);
    await insertAll(ctx.driver(), [a[0]!, b[0]!, a[1]!, b[1]!, b[2]!, a[2]!, a[3]!, a[4]!, b[3]!, b[4]!]);
    assertSameData(await readAllEvents(ctx.driver(), "s-iso-a", 2), a);
    assertSameData(await readAllEvents(ctx.driver(), "s-iso-b", 2), b);
  });

  it("concurrent inserts of the same eventIndex: exactly one wins, the other is a conflict", async () => {
    const first = makeEvent("s-race", 0, { id: "racer-1" });
    const second = makeEvent("s-race", 0, { id: "racer-2" });
    const results = await Promise.allSettled([
      ctx.driver().insertEvent("s-race", first),
      ctx.driver().insertEvent("s-race", second),
    ]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.equal(ok.length, 1, "exactly one insert wins");
    assert.equal((refused[0]?.reason as { code?: string }).code, "persist.conflict");
    const stored = await readAllEvents(ctx.driver(), "s-race");
    assert.equal(stored.length, 1);
    assertSameData(stored[0], results[0]!.status === "fulfilled" ? first : second);
  });
}
