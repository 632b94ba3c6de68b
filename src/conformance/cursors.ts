import assert from "node:assert/strict";
import { expectInvalidCursor, insertAll } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { makeEvents, minimalRecord } from "./fixtures.js";

/** Cursors are opaque and scoped: malformed, foreign-session or wrong-kind cursors are refused. */
export function cursorTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  async function eventsCursor(sessionId: string): Promise<string> {
    await insertAll(ctx.driver(), makeEvents(sessionId, 0, 3));
    const page = await ctx.driver().listEvents({ sessionId, limit: 1 });
    assert.ok(page.nextCursor, "a page of 1 out of 3 has a nextCursor");
    return page.nextCursor;
  }

  async function sessionsCursor(): Promise<string> {
    await ctx.driver().updateSession(minimalRecord("s-cur-1", 1));
    await ctx.driver().updateSession(minimalRecord("s-cur-2", 2));
    const page = await ctx.driver().listSessions({ limit: 1 });
    assert.ok(page.nextCursor, "a page of 1 out of 2 has a nextCursor");
    return page.nextCursor;
  }

  const malformed = ["not a cursor", "%%%", "eyJ4IjoxfQ", "AAAA", "bnVsbA", "W10", "WzEsImUiXQ", "WzIsImUiLCJzIiwxXQ"];

  it("malformed cursors are refused by listEvents with InvalidCursorError", async () => {
    await insertAll(ctx.driver(), makeEvents("s-bad", 0, 3));
    for (const cursor of malformed) {
      await expectInvalidCursor(() => ctx.driver().listEvents({ sessionId: "s-bad", cursor }));
    }
  });

  it("malformed cursors are refused by listSessions with InvalidCursorError", async () => {
    await ctx.driver().updateSession(minimalRecord("s-bad"));
    for (const cursor of malformed) {
      await expectInvalidCursor(() => ctx.driver().listSessions({ cursor }));
    }
  });

  it("a cursor from another session's events is refused", async () => {
    const cursor = await eventsCursor("s-a");
    await insertAll(ctx.driver(), makeEvents("s-b", 0, 3));
    await expectInvalidCursor(() => ctx.driver().listEvents({ sessionId: "s-b", cursor }));
  });

  it("a sessions cursor cannot page events, nor an events cursor sessions", async () => {
    const forSessions = await sessionsCursor();
    const forEvents = await eventsCursor("s-kind");
    await expectInvalidCursor(() => ctx.driver().listEvents({ sessionId: "s-kind", cursor: forSessions }));
    await expectInvalidCursor(() => ctx.driver().listSessions({ cursor: forEvents }));
  });

  it("a cursor is reusable: the same cursor returns the same page", async () => {
    const cursor = await eventsCursor("s-reuse");
    const a = await ctx.driver().listEvents({ sessionId: "s-reuse", cursor, limit: 1 });
    const b = await ctx.driver().listEvents({ sessionId: "s-reuse", cursor, limit: 1 });
    assert.deepEqual(a, b);
    assert.equal(a.items[0]?.eventIndex, 1);
  });
}
