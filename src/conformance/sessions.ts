import assert from "node:assert/strict";
import { MAX_PAGE_LIMIT, type SessionRecord } from "../persist/types.js";
import { assertSameData, shuffled } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { fullRecord, minimalRecord } from "./fixtures.js";

/** updateSession upserts; listSessions pages by ascending (createdAt, id). */
export function sessionTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  async function listAll(limit?: number): Promise<SessionRecord[]> {
    const all: SessionRecord[] = [];
    let cursor: string | undefined;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 100_000, "listSessions never stopped returning a nextCursor");
      const page = await ctx.driver().listSessions({ cursor, limit });
      if (limit !== undefined) assert.ok(page.items.length <= limit);
      all.push(...page.items);
      if (page.nextCursor === undefined) return all;
      assert.ok(page.items.length > 0, "a page with a nextCursor is not empty");
      cursor = page.nextCursor;
    }
  }

  it("a second updateSession replaces the record (upsert), fields removed included", async () => {
    await ctx.driver().updateSession(fullRecord("s-up"));
    const replacement: SessionRecord = {
      ...minimalRecord("s-up"),
      agentSessionId: "agent-rebound",
      lastConnectionId: "conn-new",
      modes: null,
    };
    await ctx.driver().updateSession(replacement);
    assertSameData(await ctx.driver().getSession("s-up"), replacement);
    assertSameData((await ctx.driver().listSessions()).items, [replacement]);
  });

  it("listSessions orders by createdAt, then id by code point, whatever the insertion order", async () => {
    const records = [
      minimalRecord("m", 1000),
      minimalRecord("a", 2000),
      minimalRecord("b", 2000),
      minimalRecord("B", 2000),
      minimalRecord("\uFFFD", 2000), // high BMP: before astral characters in code-point order
      minimalRecord("😀", 2000),
      minimalRecord("z", 500),
      minimalRecord("zz", 3000),
    ];
    const expected = ["z", "m", "B", "a", "b", "\uFFFD", "😀", "zz"];
    for (const record of shuffled(records)) await ctx.driver().updateSession(record);
    assert.deepEqual((await listAll()).map((r) => r.id), expected);
    assert.deepEqual((await listAll(1)).map((r) => r.id), expected);
    assert.deepEqual((await listAll(3)).map((r) => r.id), expected);
  });

  it("an upsert that changes createdAt moves the record in the listing", async () => {
    for (const [id, at] of [["x", 1], ["y", 2], ["w", 3]] as const) await ctx.driver().updateSession(minimalRecord(id, at));
    await ctx.driver().updateSession(minimalRecord("x", 10));
    assert.deepEqual((await listAll()).map((r) => r.id), ["y", "w", "x"]);
    assert.deepEqual((await listAll(1)).map((r) => r.id), ["y", "w", "x"]);
  });

  it("paging listSessions returns every record exactly once, with full pages", async () => {
    const n = ctx.sessions(23);
    const records = Array.from({ length: n }, (_, i) => fullRecord(`s-${String(i).padStart(3, "0")}`, 1_700_000_000_000 + (i % 5)));
    for (const record of shuffled(records)) await ctx.driver().updateSession(record);
    const ordered = records.slice().sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    for (const limit of [1, 7, undefined]) assertSameData(await listAll(limit), ordered);
  });

  it(`a listSessions limit above ${MAX_PAGE_LIMIT} is clamped, not refused`, async () => {
    const n = ctx.sessions(MAX_PAGE_LIMIT + 2);
    for (let i = 0; i < n; i++) await ctx.driver().updateSession(minimalRecord(`c-${String(i).padStart(5, "0")}`, i));
    const page = await ctx.driver().listSessions({ limit: MAX_PAGE_LIMIT * 10 });
    assert.equal(page.items.length, Math.min(n, MAX_PAGE_LIMIT));
    assert.equal(page.nextCursor !== undefined, n > MAX_PAGE_LIMIT);
    assert.equal(page.items[0]?.id, "c-00000");
  });

  it("listSessions cursors are stable while records are added after the reader's position", async () => {
    for (let i = 0; i < ctx.sessions(6); i++) await ctx.driver().updateSession(minimalRecord(`r-${i}`, 100 + i));
    const first = await ctx.driver().listSessions({ limit: 2 });
    assert.deepEqual(first.items.map((r) => r.id), ["r-0", "r-1"]);
    await ctx.driver().updateSession(minimalRecord("r-early", 1)); // before the cursor: not seen
    await ctx.driver().updateSession(minimalRecord("r-late", 999)); // after it: seen
    const rest: string[] = [];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await ctx.driver().listSessions({ cursor, limit: 2 });
      rest.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    }
    const expected = Array.from({ length: ctx.sessions(6) - 2 }, (_, i) => `r-${i + 2}`);
    assert.deepEqual(rest, [...expected, "r-late"]);
  });
}
