import { medianPageMs } from "../support/page-timing.js";
import { seedSession } from "../support/seed.js";
import type { DriverWorkload } from "../types.js";

// W3 page-through: read all of a 100,000-event session, 100 events per page, following
// nextCursor (how an app renders or exports a whole transcript). Reports the whole walk
// and the time of the first page and of the page holding the last event (each re-read 5
// times after the walk, median; see page-timing.ts): with keyset cursors the two cost the
// same; with offset cursors the last one costs the most.

const PAGE = 100;

/** W3 page-through. */
export const w3PageThrough: DriverWorkload<{ sessionId: string; count: number }> = {
  scope: "driver",
  id: "w3",
  memory: true,
  title: (scale) =>
    `W3 page-through: all of a ${scale.n(100_000).toLocaleString("en-US")}-event session, ${PAGE} per page`,
  async prepare({ driver, scale }) {
    const count = scale.n(100_000);
    return { sessionId: await seedSession(driver, 1, count), count };
  },
  async measure({ driver, probe }, { sessionId, count }) {
    let cursor: string | undefined;
    let lastCursor: string | undefined;
    let seen = 0;
    let expectedIndex = 0;
    const started = performance.now();
    do {
      const page = await driver.listEvents({ sessionId, cursor, limit: PAGE });
      probe();
      if (page.items.length > 0) lastCursor = cursor;
      for (const event of page.items) {
        if (event.eventIndex !== expectedIndex) {
          throw new Error(`W3: expected eventIndex ${expectedIndex}, got ${event.eventIndex}`);
        }
        expectedIndex++;
      }
      seen += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    const totalMs = performance.now() - started;
    if (seen !== count) throw new Error(`W3: read ${seen} events, expected ${count}`);
    const firstPageMs = await medianPageMs(() => driver.listEvents({ sessionId, limit: PAGE }));
    const lastPageMs = await medianPageMs(() => driver.listEvents({ sessionId, cursor: lastCursor, limit: PAGE }));
    return [
      { key: "totalMs", label: "total ms", value: totalMs, unit: "ms", better: "lower" },
      { key: "firstPageMs", label: "first page ms", value: firstPageMs, unit: "ms", better: "lower" },
      { key: "lastPageMs", label: "last page ms", value: lastPageMs, unit: "ms", better: "lower" },
    ];
  },
};
