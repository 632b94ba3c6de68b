import assert from "node:assert/strict";
import type { SessionKey, SessionStore, SessionStoreEntry } from "../../session-store/types.js";
import type { StoreSuiteContext } from "./context.js";
import { asStored, freshKey, markerEntry, turnEntries, userEntry } from "./fixtures.js";
import { assertSummaryIsFoldOfLoad } from "./summaries.js";

// Several writers on one session (peers: other connections, as other processes would be):
// nothing lost or doubled, each writer's order kept, the summary still the fold of the
// transcript; calls of one process not awaited one by one still land in call order.

/** Entries of writer `w`, batch `b`: three lines, the second without uuid, each naming its writer and place. */
function writerBatch(w: number, b: number): SessionStoreEntry[] {
  return [
    userEntry(`writer ${w} batch ${b}`, { writer: w, batch: b, line: 0 }),
    markerEntry("last-prompt", { lastPrompt: `writer ${w} batch ${b}`, writer: w, batch: b, line: 1 }),
    userEntry(`writer ${w} batch ${b} again`, { writer: w, batch: b, line: 2 }),
  ];
}

/** Check that `loaded` holds every batch of every writer once, each writer's in its order. */
function assertEveryWriterOnceInOrder(loaded: readonly SessionStoreEntry[], writers: number, batches: number): void {
  assert.equal(loaded.length, writers * batches * 3, "every entry once");
  for (let w = 0; w < writers; w++) {
    const mine = loaded.filter((e) => e.writer === w).map((e) => `${String(e.batch)}.${String(e.line)}`);
    const expected = Array.from({ length: batches }, (_, b) => [0, 1, 2].map((line) => `${b}.${line}`)).flat();
    assert.deepStrictEqual(mine, expected, `writer ${w}'s entries in its call order`);
  }
}

/** Register the concurrency tests. */
export function concurrencyTests(ctx: StoreSuiteContext): void {
  ctx.it("concurrency.writers", "several writers appending to one session at once: nothing lost or doubled, order per writer, summary consistent", async () => {
    const key: SessionKey = freshKey();
    const writers = await ctx.writers(4);
    const batches = ctx.scaled(40, 5);
    await Promise.all(
      writers.map(async (store, w) => {
        for (let b = 0; b < batches; b++) await store.append(key, writerBatch(w, b));
      }),
    );
    assertEveryWriterOnceInOrder((await ctx.store().load(key)) ?? [], writers.length, batches);
    await assertSummaryIsFoldOfLoad(ctx, ctx.store(), key);
  });

  ctx.it("concurrency.retry-race", "the same batch appended by several writers at once (a retry racing the original) is stored once", async () => {
    const key = freshKey();
    const writers = await ctx.writers(4);
    await ctx.store().append(key, turnEntries(2));
    const batch = turnEntries(5, 2);
    await Promise.all(writers.map((store) => store.append(key, batch)));
    const loaded = (await ctx.store().load(key)) ?? [];
    assert.equal(loaded.length, 7);
    await assertSummaryIsFoldOfLoad(ctx, ctx.store(), key);
  });

  ctx.it("concurrency.call-order", "appends not awaited one by one keep call order", async () => {
    const key = freshKey();
    const store: SessionStore = ctx.store();
    const batches = Array.from({ length: 20 }, (_, i) => turnEntries(1 + (i % 3), i * 10));
    await Promise.all(batches.map((batch) => store.append(key, batch)));
    assert.deepStrictEqual(await store.load(key), asStored(batches.flat()));
  });
}
