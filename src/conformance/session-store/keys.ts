import assert from "node:assert/strict";
import type { SessionKey, SessionStore } from "../../session-store/types.js";
import type { StoreSuiteContext } from "./context.js";
import { asStored, freshKey, turnEntries } from "./fixtures.js";

// Keys are three opaque strings: `/`, `:` and any Unicode belong to them and never make two
// keys one, subpaths nest without touching each other, and a malformed key is refused.

/** Whether `run` rejects (or throws). */
async function refused(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return false;
  } catch {
    return true;
  }
}

/** Register the key tests. */
export function keyTests(ctx: StoreSuiteContext): void {
  ctx.it("keys.separators", "keys holding `/`, `:` and Unicode stay apart from keys they would join into", async () => {
    const base = freshKey().projectKey;
    // Pairs that naive "project/session/subpath" or "project:session" joins would confuse.
    const keys: SessionKey[] = [
      { projectKey: `${base}/a`, sessionId: "b" },
      { projectKey: base, sessionId: "a/b" },
      { projectKey: base, sessionId: "a", subpath: "b" },
      { projectKey: `${base}:a`, sessionId: "b" },
      { projectKey: base, sessionId: "a:b" },
      { projectKey: `${base}/日本語 😀`, sessionId: "𝔘/ü:ß" },
      { projectKey: `${base}/日本語 😀`, sessionId: "𝔘", subpath: "ü:ß/agent" },
    ];
    const batches = keys.map((_, i) => turnEntries(1, i * 10));
    for (const [i, key] of keys.entries()) await ctx.store().append(key, batches[i]!);
    for (const [i, key] of keys.entries()) assert.deepStrictEqual(await ctx.store().load(key), asStored(batches[i]!), JSON.stringify(key));
    const listed = ((await ctx.store().listSessions?.(base)) ?? []).map((s) => s.sessionId).sort();
    assert.deepStrictEqual(listed, ["a/b", "a:b"].sort());
    assert.deepStrictEqual(await ctx.store().listSubkeys?.({ projectKey: base, sessionId: "a" }), ["b"]);
    await ctx.store().delete?.({ projectKey: base, sessionId: "a" });
    for (const [i, key] of keys.entries()) {
      if (key.projectKey === base && key.sessionId === "a") continue;
      assert.deepStrictEqual(await ctx.store().load(key), asStored(batches[i]!), `${JSON.stringify(key)} after a delete of another key`);
    }
  });

  ctx.it("keys.nested-subpaths", "subpaths `a` and `a/b` are two transcripts: listed both, deleted one at a time", async () => {
    const key = freshKey();
    const outer = { ...key, subpath: "subagents/agent-1" };
    const inner = { ...key, subpath: "subagents/agent-1/agent-2" };
    const [o, i] = [turnEntries(1), turnEntries(2, 5)];
    await ctx.store().append(outer, o);
    await ctx.store().append(inner, i);
    assert.deepStrictEqual([...((await ctx.store().listSubkeys?.(key)) ?? [])].sort(), [outer.subpath, inner.subpath].sort());
    await ctx.store().delete?.(outer);
    assert.equal(await ctx.store().load(outer), null);
    assert.deepStrictEqual(await ctx.store().load(inner), asStored(i));
  });

  ctx.it("keys.refused", "a malformed key (empty subpath, empty or missing projectKey or sessionId) is refused and stores nothing", async () => {
    const key = freshKey();
    const store: SessionStore = ctx.store();
    const bad = [
      { ...key, subpath: "" },
      { ...key, projectKey: "" },
      { ...key, sessionId: "" },
      { sessionId: key.sessionId },
    ] as SessionKey[];
    for (const k of bad) assert.ok(await refused(() => store.append(k, turnEntries(1))), `append refuses ${JSON.stringify(k)}`);
    assert.equal(await store.load(key), null);
    assert.deepStrictEqual(await store.listSessions?.(key.projectKey), []);
  });
}
