import assert from "node:assert/strict";
import type { StoreSuiteContext } from "./context.js";
import { asStored, freshKey, markerEntry, turnEntries, userEntry } from "./fixtures.js";

// The behaviours both public suites of the SDK check (1-13 of the contract notes): round
// trips, order, empty appends, what keys keep apart, listings and deletes.

/** Register the contract's basic tests. */
export function contractTests(ctx: StoreSuiteContext): void {
  ctx.it("append.load", "append then load returns the same entries, in order, deep-equal", async () => {
    const key = freshKey();
    const entries = [...turnEntries(4), markerEntry("custom-title", { customTitle: "A title" })];
    await ctx.store().append(key, entries);
    assert.deepStrictEqual(await ctx.store().load(key), asStored(entries));
  });

  ctx.it("load.unknown", "load of a key never written is null, an unknown subpath of a known session too", async () => {
    const key = freshKey();
    assert.equal(await ctx.store().load(key), null);
    await ctx.store().append(key, turnEntries(1));
    assert.equal(await ctx.store().load({ ...key, subpath: "subagents/agent-none" }), null);
    assert.equal(await ctx.store().load({ ...key, sessionId: `${key.sessionId}-other` }), null);
  });

  ctx.it("append.order", "several appends keep call order (z, [a, m], b -> z, a, m, b)", async () => {
    const key = freshKey();
    const [z, a, m, b] = turnEntries(4);
    await ctx.store().append(key, [z!]);
    await ctx.store().append(key, [a!, m!]);
    await ctx.store().append(key, [b!]);
    assert.deepStrictEqual(await ctx.store().load(key), asStored([z!, a!, m!, b!]));
  });

  ctx.it("append.empty", "append([]) changes nothing, and on a fresh key creates nothing", async () => {
    const key = freshKey();
    await ctx.store().append(key, []);
    await ctx.store().append({ ...key, subpath: "subagents/agent-a" }, []);
    assert.equal(await ctx.store().load(key), null);
    assert.deepStrictEqual(await ctx.store().listSessions?.(key.projectKey), []);
    assert.deepStrictEqual(await ctx.store().listSubkeys?.(key), []);
    const entries = turnEntries(2);
    await ctx.store().append(key, entries);
    const before = await ctx.store().listSessions?.(key.projectKey);
    await ctx.store().append(key, []);
    assert.deepStrictEqual(await ctx.store().load(key), asStored(entries));
    assert.deepStrictEqual(await ctx.store().listSessions?.(key.projectKey), before);
  });

  ctx.it("subpath.apart", "a subpath key is stored apart from the main key", async () => {
    const key = freshKey();
    const sub = { ...key, subpath: "subagents/agent-1" };
    const main = turnEntries(2);
    const side = [userEntry("subagent prompt", { isSidechain: true })];
    await ctx.store().append(key, main);
    await ctx.store().append(sub, side);
    assert.deepStrictEqual(await ctx.store().load(key), asStored(main));
    assert.deepStrictEqual(await ctx.store().load(sub), asStored(side));
  });

  ctx.it("project.apart", "the same sessionId under two projectKeys stays separate", async () => {
    const key = freshKey();
    const other = { ...freshKey(), sessionId: key.sessionId };
    const first = turnEntries(2);
    const second = turnEntries(3, 10);
    await ctx.store().append(key, first);
    await ctx.store().append(other, second);
    assert.deepStrictEqual(await ctx.store().load(key), asStored(first));
    assert.deepStrictEqual(await ctx.store().load(other), asStored(second));
    await ctx.store().delete?.(key);
    assert.deepStrictEqual(await ctx.store().load(other), asStored(second));
  });

  ctx.it("list.project", "listSessions returns exactly the project's sessions, integer epoch-ms mtimes; an unknown project []", async () => {
    const a = freshKey();
    const b = { ...a, sessionId: `${a.sessionId}-b` };
    const elsewhere = freshKey();
    for (const key of [a, b, elsewhere]) await ctx.store().append(key, turnEntries(1));
    const listed = (await ctx.store().listSessions?.(a.projectKey)) ?? [];
    assert.deepStrictEqual(listed.map((s) => s.sessionId).sort(), [a.sessionId, b.sessionId].sort());
    for (const { mtime } of listed) assert.ok(Number.isInteger(mtime) && mtime > 1e12, `mtime ${mtime} is integer epoch ms`);
    assert.deepStrictEqual(await ctx.store().listSessions?.(`${a.projectKey}-unknown`), []);
  });

  ctx.it("list.mtime-advances", "an append that stores something moves the session's mtime forward", async () => {
    const key = freshKey();
    await ctx.store().append(key, turnEntries(1));
    const [first] = (await ctx.store().listSessions?.(key.projectKey)) ?? [];
    await ctx.store().append(key, turnEntries(1, 1));
    const [second] = (await ctx.store().listSessions?.(key.projectKey)) ?? [];
    assert.ok(first !== undefined && second !== undefined && second.mtime > first.mtime, `${second?.mtime} > ${first?.mtime}`);
  });

  ctx.it("list.no-subpaths", "listSessions leaves out subpaths: a session with only a subpath entry is not listed", async () => {
    const key = freshKey();
    await ctx.store().append(key, turnEntries(1));
    await ctx.store().append({ ...key, subpath: "subagents/agent-1" }, turnEntries(1));
    const onlySub = { ...key, sessionId: `${key.sessionId}-sub-only` };
    await ctx.store().append({ ...onlySub, subpath: "subagents/agent-2" }, turnEntries(1));
    const listed = (await ctx.store().listSessions?.(key.projectKey)) ?? [];
    assert.deepStrictEqual(listed.map((s) => s.sessionId), [key.sessionId]);
  });

  ctx.it("delete.main", "delete of the main key makes load return null; deleting a key never written does not throw", async () => {
    const key = freshKey();
    await ctx.store().append(key, turnEntries(2));
    await ctx.store().delete?.(key);
    assert.equal(await ctx.store().load(key), null);
    await ctx.store().delete?.(freshKey());
    await ctx.store().delete?.({ ...freshKey(), subpath: "subagents/agent-x" });
  });

  ctx.it("delete.cascade", "delete of the main key removes every subkey and leaves other sessions and projects alone", async () => {
    const key = freshKey();
    const sibling = { ...key, sessionId: `${key.sessionId}-sibling` };
    const elsewhere = { ...freshKey(), sessionId: key.sessionId };
    const subs = ["subagents/agent-1", "subagents/agent-2"].map((subpath) => ({ ...key, subpath }));
    for (const k of [key, sibling, elsewhere, ...subs, { ...sibling, subpath: "subagents/agent-1" }]) await ctx.store().append(k, turnEntries(1));
    await ctx.store().delete?.(key);
    for (const k of [key, ...subs]) assert.equal(await ctx.store().load(k), null);
    assert.deepStrictEqual(await ctx.store().listSubkeys?.(key), []);
    for (const k of [sibling, elsewhere, { ...sibling, subpath: "subagents/agent-1" }]) assert.ok(await ctx.store().load(k));
    const listed = (await ctx.store().listSessions?.(key.projectKey)) ?? [];
    assert.deepStrictEqual(listed.map((s) => s.sessionId), [sibling.sessionId]);
  });

  ctx.it("delete.subpath", "delete with a subpath removes only that subkey", async () => {
    const key = freshKey();
    const main = turnEntries(2);
    await ctx.store().append(key, main);
    await ctx.store().append({ ...key, subpath: "subagents/agent-1" }, turnEntries(1));
    await ctx.store().append({ ...key, subpath: "subagents/agent-2" }, turnEntries(1));
    await ctx.store().delete?.({ ...key, subpath: "subagents/agent-1" });
    assert.equal(await ctx.store().load({ ...key, subpath: "subagents/agent-1" }), null);
    assert.ok(await ctx.store().load({ ...key, subpath: "subagents/agent-2" }));
    assert.deepStrictEqual(await ctx.store().load(key), asStored(main));
    assert.deepStrictEqual(await ctx.store().listSubkeys?.(key), ["subagents/agent-2"]);
  });

  ctx.it("subkeys.exact", "listSubkeys returns exactly that session's subpaths", async () => {
    const key = freshKey();
    const other = { ...key, sessionId: `${key.sessionId}-other` };
    const paths = ["subagents/agent-b", "subagents/agent-a", "subagents/workflows/run-1/agent-c"];
    for (const subpath of paths) await ctx.store().append({ ...key, subpath }, turnEntries(1));
    await ctx.store().append({ ...other, subpath: "subagents/agent-z" }, turnEntries(1));
    assert.deepStrictEqual([...((await ctx.store().listSubkeys?.(key)) ?? [])].sort(), [...paths].sort());
  });

  ctx.it("subkeys.no-main", "listSubkeys leaves out the main transcript; a session never written has none", async () => {
    const key = freshKey();
    await ctx.store().append(key, turnEntries(1));
    assert.deepStrictEqual(await ctx.store().listSubkeys?.(key), []);
    assert.deepStrictEqual(await ctx.store().listSubkeys?.(freshKey()), []);
  });
}
