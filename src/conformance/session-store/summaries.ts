import assert from "node:assert/strict";
import type { SessionKey, SessionStore, SessionSummaryEntry } from "../../session-store/types.js";
import type { StoreSuiteContext } from "./context.js";
import { assistantEntry, freshKey, markerEntry, turnEntries, userEntry } from "./fixtures.js";

// listSessionSummaries: summaries maintained inside append, equal to the fold of what load
// returns, on the listing's clock, per project, untouched by subagent transcripts, gone with
// their session.

/** The store's summary of `key`'s session, failing when there is none. */
export async function summaryOf(store: SessionStore, key: SessionKey): Promise<SessionSummaryEntry> {
  assert.equal(typeof store.listSessionSummaries, "function", "the store has listSessionSummaries");
  const found = (await store.listSessionSummaries?.(key.projectKey))?.find((s) => s.sessionId === key.sessionId);
  assert.ok(found, `a summary for session ${key.sessionId}`);
  return found;
}

/** Check that the stored summary of `key` is the fold of what `load` returns. */
export async function assertSummaryIsFoldOfLoad(ctx: StoreSuiteContext, store: SessionStore, key: SessionKey): Promise<void> {
  const fold = await ctx.fold();
  const entries = (await store.load({ projectKey: key.projectKey, sessionId: key.sessionId })) ?? [];
  const expected = fold(undefined, { projectKey: key.projectKey, sessionId: key.sessionId }, entries, { mtime: 0 }).data;
  assert.deepStrictEqual((await summaryOf(store, key)).data, expected, "the summary is the fold of the transcript as loaded");
}

/** A session's history with every kind of line the fold reads. */
function richHistory() {
  return [
    [userEntry("the first prompt"), assistantEntry("first answer")],
    [markerEntry("custom-title", { customTitle: "Fix the cursor bug" }), markerEntry("tag", { tag: "bugfix" })],
    [userEntry("a later prompt", { gitBranch: "fix/cursor" }), assistantEntry("later answer"), markerEntry("last-prompt", { lastPrompt: "a later prompt" })],
  ];
}

/** Register the summary tests. */
export function summaryTests(ctx: StoreSuiteContext): void {
  ctx.it("summaries.project", "listSessionSummaries returns only that project's sessions; an unknown project []", async () => {
    const a = freshKey();
    const b = { ...a, sessionId: `${a.sessionId}-b` };
    for (const key of [a, b, freshKey()]) await ctx.store().append(key, turnEntries(2));
    const summaries = (await ctx.store().listSessionSummaries?.(a.projectKey)) ?? [];
    assert.deepStrictEqual(summaries.map((s) => s.sessionId).sort(), [a.sessionId, b.sessionId].sort());
    assert.deepStrictEqual(await ctx.store().listSessionSummaries?.(`${a.projectKey}-unknown`), []);
  });

  ctx.it("summaries.mtime", "a summary's mtime is an integer at least the mtime listSessions gives the session", async () => {
    const key = freshKey();
    for (const batch of richHistory()) await ctx.store().append(key, batch);
    const listed = ((await ctx.store().listSessions?.(key.projectKey)) ?? []).find((s) => s.sessionId === key.sessionId);
    const summary = await summaryOf(ctx.store(), key);
    assert.ok(listed, "the session is listed");
    assert.ok(Number.isInteger(summary.mtime) && summary.mtime >= listed.mtime, `summary mtime ${summary.mtime} >= ${listed.mtime}`);
  });

  ctx.it("summaries.fold", "the summary is the fold (foldSessionSummary) of what load returns, after several appends", async () => {
    const key = freshKey();
    for (const batch of richHistory()) await ctx.store().append(key, batch);
    await assertSummaryIsFoldOfLoad(ctx, ctx.store(), key);
    const data = (await summaryOf(ctx.store(), key)).data;
    assert.equal(data.customTitle, "Fix the cursor bug");
  });

  ctx.it("summaries.subagent", "an append to a subagent transcript does not change the main summary", async () => {
    const key = freshKey();
    for (const batch of richHistory()) await ctx.store().append(key, batch);
    const before = await summaryOf(ctx.store(), key);
    await ctx.store().append({ ...key, subpath: "subagents/agent-1" }, [
      userEntry("subagent prompt", { isSidechain: true }),
      markerEntry("custom-title", { customTitle: "not the session's title" }),
    ]);
    assert.deepStrictEqual(await summaryOf(ctx.store(), key), before);
  });

  ctx.it("summaries.delete", "a session's summary is gone after its delete", async () => {
    const key = freshKey();
    const kept = { ...key, sessionId: `${key.sessionId}-kept` };
    await ctx.store().append(key, turnEntries(2));
    await ctx.store().append(kept, turnEntries(2));
    await ctx.store().delete?.(key);
    const summaries = (await ctx.store().listSessionSummaries?.(key.projectKey)) ?? [];
    assert.deepStrictEqual(summaries.map((s) => s.sessionId), [kept.sessionId]);
  });
}
