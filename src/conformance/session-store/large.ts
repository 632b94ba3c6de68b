import assert from "node:assert/strict";
import type { SessionStoreEntry } from "../../session-store/types.js";
import type { StoreSuiteContext } from "./context.js";
import { asStored, freshKey, markerEntry, turnEntries, userEntry } from "./fixtures.js";

// Content a store must keep exactly, and a long transcript written over many batches.

/** Register the content and size tests. */
export function largeTests(ctx: StoreSuiteContext): void {
  ctx.it("entries.content", "entries with Unicode, U+0000, deep nesting, own __proto__ keys and a ~1 MB text come back deep-equal", async () => {
    const key = freshKey();
    let nested: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 60; i++) nested = { level: i, nested };
    const entries: SessionStoreEntry[] = [
      userEntry("héllo wörld · 日本語 · 😀🚀 · 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 · \u{10FFFF}"),
      userEntry("a NUL \u0000 inside, and a lone surrogate escaped by JSON: \ud800"),
      { ...(JSON.parse('{"__proto__": {"polluted": true}}') as object), type: "attachment", uuid: userEntry("p").uuid },
      { type: "nested", uuid: userEntry("n").uuid, nested, numbers: [0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER], flags: [true, false, null] },
      markerEntry("tool-output", { output: "x".repeat(1_000_000) }),
    ];
    await ctx.store().append(key, entries);
    const loaded = await ctx.store().load(key);
    assert.deepStrictEqual(loaded, asStored(entries));
    assert.equal(Object.prototype.hasOwnProperty.call(loaded?.[2], "__proto__"), true, "__proto__ stays an own key");
  });

  ctx.it("large.many-batches", "a long transcript appended over many batches loads whole, in order", async () => {
    const key = freshKey();
    const total = ctx.scaled(12_000, 100);
    const batch = 50;
    const all = turnEntries(total);
    for (let at = 0; at < total; at += batch) await ctx.store().append(key, all.slice(at, at + batch));
    const loaded = (await ctx.store().load(key)) ?? [];
    assert.equal(loaded.length, total);
    assert.deepStrictEqual(loaded, asStored(all));
    assert.equal(((await ctx.store().listSessions?.(key.projectKey)) ?? []).length, 1);
  });
}
