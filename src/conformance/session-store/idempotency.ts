import assert from "node:assert/strict";
import type { StoreSuiteContext } from "./context.js";
import { asStored, freshKey, markerEntry, turnEntries, userEntry } from "./fixtures.js";
import { assertSummaryIsFoldOfLoad, summaryOf } from "./summaries.js";

// `uuid` as the idempotency key: a retried batch, an import replayed, a repeat inside one
// batch are stored once; entries without uuid never de-duplicated; the summary unmoved by a replay.

/** Register the idempotency tests. */
export function idempotencyTests(ctx: StoreSuiteContext): void {
  ctx.it("uuid.retried-batch", "a batch appended again (a retry, an import run twice) is stored once", async () => {
    const key = freshKey();
    const batch = turnEntries(3);
    await ctx.store().append(key, batch);
    await ctx.store().append(key, batch);
    await ctx.store().append({ ...key, subpath: "subagents/agent-1" }, batch);
    await ctx.store().append({ ...key, subpath: "subagents/agent-1" }, batch);
    assert.deepStrictEqual(await ctx.store().load(key), asStored(batch));
    assert.deepStrictEqual(await ctx.store().load({ ...key, subpath: "subagents/agent-1" }), asStored(batch));
  });

  ctx.it("uuid.replayed-markers", "a replayed batch stores nothing, its entries without uuid included (they came with it)", async () => {
    const key = freshKey();
    const sub = { ...key, subpath: "subagents/agent-1" };
    const batch = [markerEntry("queue-operation", { operation: "enqueue" }), ...turnEntries(2), markerEntry("last-prompt", { lastPrompt: "x" })];
    for (const k of [key, sub]) {
      await ctx.store().append(k, batch);
      await ctx.store().append(k, batch);
      assert.deepStrictEqual(await ctx.store().load(k), asStored(batch), JSON.stringify(k));
    }
  });

  ctx.it("uuid.overlap", "a batch overlapping what is stored adds only its new entries, in order", async () => {
    const key = freshKey();
    const all = turnEntries(6);
    await ctx.store().append(key, all.slice(0, 4));
    await ctx.store().append(key, all.slice(2, 6));
    assert.deepStrictEqual(await ctx.store().load(key), asStored(all));
  });

  ctx.it("uuid.in-batch", "an entry twice inside one batch is stored once (the first)", async () => {
    const key = freshKey();
    const [a, b] = turnEntries(2);
    await ctx.store().append(key, [a!, b!, { ...a!, message: { role: "user", content: "changed" } }]);
    assert.deepStrictEqual(await ctx.store().load(key), asStored([a!, b!]));
  });

  ctx.it("uuid.none", "entries without uuid are never de-duplicated", async () => {
    const key = freshKey();
    const title = markerEntry("custom-title", { customTitle: "same" });
    await ctx.store().append(key, [title, title]);
    await ctx.store().append(key, [title]);
    assert.deepStrictEqual(await ctx.store().load(key), asStored([title, title, title]));
  });

  ctx.it("uuid.per-key", "the same uuid under another key is another entry", async () => {
    const key = freshKey();
    const entry = userEntry("shared line");
    const others = [{ ...key, subpath: "subagents/agent-1" }, { ...key, sessionId: `${key.sessionId}-2` }, { ...freshKey(), sessionId: key.sessionId }];
    for (const k of [key, ...others]) await ctx.store().append(k, [entry]);
    for (const k of [key, ...others]) assert.deepStrictEqual(await ctx.store().load(k), asStored([entry]), JSON.stringify(k));
  });

  ctx.it("uuid.summary", "a replayed batch leaves the summary as it was, still the fold of what load returns", async () => {
    const key = freshKey();
    const early = [userEntry("early prompt"), markerEntry("last-prompt", { lastPrompt: "early prompt" })];
    early[1] = { ...early[1]!, uuid: userEntry("x").uuid };
    const late = [userEntry("late prompt"), markerEntry("last-prompt", { lastPrompt: "late prompt", uuid: userEntry("y").uuid })];
    await ctx.store().append(key, early);
    await ctx.store().append(key, late);
    const before = await summaryOf(ctx.store(), key);
    await ctx.store().append(key, early);
    assert.deepStrictEqual((await summaryOf(ctx.store(), key)).data, before.data);
    await assertSummaryIsFoldOfLoad(ctx, ctx.store(), key);
  });
}
