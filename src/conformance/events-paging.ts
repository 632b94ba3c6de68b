import assert from "node:assert/strict";
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type SessionEvent } from "../persist/types.js";
import { assertAscending, assertSameData, insertAll, readAllEvents, shuffled } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { makeEvents } from "./fixtures.js";

/** Insert `events` in one batch when the driver can, one by one otherwise (setup only). */
async function fill(ctx: SuiteContext, sessionId: string, events: readonly SessionEvent[]): Promise<void> {
  const driver = ctx.driver();
  if (typeof driver.insertEvents === "function") {
    for (let i = 0; i < events.length; i += 500) await driver.insertEvents(sessionId, events.slice(i, i + 500));
  } else {
    await insertAll(driver, events);
  }
}

/** listEvents: ascending order, complete pages, limits and stable keyset cursors. */
export function eventPagingTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("listEvents is ascending by eventIndex even when events were inserted out of order", async () => {
    const events = makeEvents("s-order", 0, ctx.events(40));
    await insertAll(ctx.driver(), shuffled(events));
    const all = await readAllEvents(ctx.driver(), "s-order");
    assertAscending(all);
    assertSameData(all, events);
  });

  it("gaps in eventIndex are allowed and kept", async () => {
    const events = [0, 3, 10, 11, 1000].map((i) => makeEvents("s-gaps", i, i + 1)[0]!);
    await insertAll(ctx.driver(), shuffled(events));
    assertSameData(await readAllEvents(ctx.driver(), "s-gaps", 2), events);
  });

  for (const limit of [1, 7]) {
    it(`paging with limit ${limit} returns every event exactly once, in order`, async () => {
      const n = ctx.events(23);
      const events = makeEvents("s-page", 0, n);
      await fill(ctx, "s-page", events);
      const pages: number[] = [];
      const all: SessionEvent[] = [];
      let cursor: string | undefined;
      do {
        const page = await ctx.driver().listEvents({ sessionId: "s-page", cursor, limit });
        pages.push(page.items.length);
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      assertSameData(all, events);
      // Full pages except the last; no empty trailing page needed when the count divides evenly.
      assert.equal(pages.length, Math.ceil(n / limit), `page sizes: ${pages.join(",")}`);
      for (const size of pages.slice(0, -1)) assert.equal(size, limit);
    });
  }

  it("an exact multiple of the limit ends with a full page and no nextCursor (or one empty page after)", async () => {
    const events = makeEvents("s-exact", 0, ctx.events(10));
    await fill(ctx, "s-exact", events);
    const first = await ctx.driver().listEvents({ sessionId: "s-exact", limit: events.length });
    assertSameData(first.items, events);
    if (first.nextCursor !== undefined) {
      const rest = await ctx.driver().listEvents({ sessionId: "s-exact", cursor: first.nextCursor, limit: events.length });
      assert.deepEqual(rest.items, []);
      assert.equal(rest.nextCursor, undefined);
    }
  });

  it(`without a limit a page holds ${DEFAULT_PAGE_LIMIT} events`, async () => {
    const n = ctx.events(DEFAULT_PAGE_LIMIT + 5);
    const events = makeEvents("s-default", 0, n);
    await fill(ctx, "s-default", events);
    const page = await ctx.driver().listEvents({ sessionId: "s-default" });
    assert.equal(page.items.length, Math.min(n, DEFAULT_PAGE_LIMIT));
    assertSameData(page.items, events.slice(0, DEFAULT_PAGE_LIMIT));
    assert.equal(page.nextCursor !== undefined, n > DEFAULT_PAGE_LIMIT);
    assertSameData(await readAllEvents(ctx.driver(), "s-default"), events);
  });

  it(`a limit above ${MAX_PAGE_LIMIT} is clamped, not refused`, async () => {
    const n = ctx.events(MAX_PAGE_LIMIT + 3);
    const events = makeEvents("s-clamp", 0, n);
    await fill(ctx, "s-clamp", events);
    const page = await ctx.driver().listEvents({ sessionId: "s-clamp", limit: MAX_PAGE_LIMIT * 50 });
    assert.equal(page.items.length, Math.min(n, MAX_PAGE_LIMIT));
    assertSameData(page.items, events.slice(0, MAX_PAGE_LIMIT));
    assert.equal(page.nextCursor !== undefined, n > MAX_PAGE_LIMIT);
  });

  it("cursors are stable while events are appended: nothing skipped, nothing repeated", async () => {
    const driver = ctx.driver();
    const initial = ctx.events(40);
    const appendsPerPage = 2;
    const pageSize = 3;
    // The reader advances 3 per page and the writer 2, so the reader stays behind the writer
    // until the writer stops; then it reads on to the end.
    const appendRounds = Math.max(0, Math.min(10, Math.floor((ctx.limits.maxEventsPerSession - initial) / appendsPerPage)));
    const total = initial + appendRounds * appendsPerPage;
    const events = makeEvents("s-live", 0, total);
    await fill(ctx, "s-live", events.slice(0, initial));

    const seen: SessionEvent[] = [];
    let cursor: string | undefined;
    let next = initial;
    for (let round = 0; ; round++) {
      const append = async () => {
        if (round >= appendRounds) return;
        for (let k = 0; k < appendsPerPage; k++, next++) await driver.insertEvent("s-live", events[next]!);
      };
      const [page] = await Promise.all([driver.listEvents({ sessionId: "s-live", cursor, limit: pageSize }), append()]);
      seen.push(...page.items);
      if (page.nextCursor === undefined) break;
      cursor = page.nextCursor;
    }
    assert.equal(next, total);
    assertAscending(seen);
    assert.equal(new Set(seen.map((e) => e.id)).size, seen.length, "an event was returned twice");
    assertSameData(seen, events);
  });

  it("a cursor keeps working after events before it are re-sent or new ones are added", async () => {
    const events = makeEvents("s-resume", 0, ctx.events(12));
    const half = Math.floor(events.length / 2);
    await fill(ctx, "s-resume", events.slice(0, half));
    const first = await ctx.driver().listEvents({ sessionId: "s-resume", limit: half });
    assertSameData(first.items, events.slice(0, half));
    // Whether the first page ended with a cursor or not, later appends are reachable from its last item.
    await insertAll(ctx.driver(), events.slice(0, 2)); // idempotent re-sends
    await fill(ctx, "s-resume", events.slice(half));
    if (first.nextCursor !== undefined) {
      const rest: SessionEvent[] = [];
      let cursor: string | undefined = first.nextCursor;
      while (cursor) {
        const page = await ctx.driver().listEvents({ sessionId: "s-resume", cursor, limit: 5 });
        rest.push(...page.items);
        cursor = page.nextCursor;
      }
      assertSameData(rest, events.slice(half));
    }
    assertSameData(await readAllEvents(ctx.driver(), "s-resume", 4), events);
  });
}
