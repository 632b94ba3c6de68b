import assert from "node:assert/strict";
import type { StoreSuiteContext } from "./context.js";
import { asStored, freshKey, turnEntries } from "./fixtures.js";
import { summaryOf } from "./summaries.js";

// What a store returns is the caller's to mutate, and what it was given is stored as it was
// when `append` was called: neither side shares objects with the store.

/** Register the copy tests. */
export function copyTests(ctx: StoreSuiteContext): void {
  ctx.it("copy.load", "mutating what load returned changes nothing stored", async () => {
    const key = freshKey();
    const entries = turnEntries(2);
    await ctx.store().append(key, entries);
    const loaded = (await ctx.store().load(key)) ?? [];
    loaded.push({ type: "intruder" });
    loaded[0]!.message = "mutated";
    assert.deepStrictEqual(await ctx.store().load(key), asStored(entries));
  });

  ctx.it("copy.append", "mutating entries after append changes nothing stored", async () => {
    const key = freshKey();
    const entries = turnEntries(2);
    const expected = asStored(entries);
    await ctx.store().append(key, entries);
    entries[0]!.message = "mutated";
    entries.push({ type: "intruder" });
    assert.deepStrictEqual(await ctx.store().load(key), expected);
  });

  ctx.it("copy.summaries", "mutating a summary listSessionSummaries returned changes nothing stored", async () => {
    const key = freshKey();
    await ctx.store().append(key, turnEntries(2));
    const before = structuredClone(await summaryOf(ctx.store(), key));
    const got = await summaryOf(ctx.store(), key);
    got.data.customTitle = "mutated";
    got.mtime = 1;
    assert.deepStrictEqual(await summaryOf(ctx.store(), key), before);
  });
}
