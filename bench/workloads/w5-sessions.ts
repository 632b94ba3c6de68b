import { makeRecord } from "../fixtures.js";
import { medianPageMs } from "../support/page-timing.js";
import { perSecond } from "../support/stats.js";
import type { DriverWorkload } from "../types.js";
import type { SessionRecord } from "../../src/persist/types.js";

// W5 sessions: write 10,000 session records (updateSession, each awaited), then list them
// all, 100 per page (an app's session picker). Reports the upsert rate, the whole listing
// and its first and last page (each re-read 5 times after the walk, median).

const PAGE = 100;

/** W5 sessions. */
export const w5Sessions: DriverWorkload<{ records: SessionRecord[] }> = {
  scope: "driver",
  id: "w5",
  title: (scale) =>
    `W5 sessions: ${scale.n(10_000).toLocaleString("en-US")} records written, then all listed ${PAGE} per page`,
  async prepare({ scale }) {
    return { records: Array.from({ length: scale.n(10_000) }, (_, i) => makeRecord(i + 1)) };
  },
  async measure({ driver, probe }, { records }) {
    const writeStarted = performance.now();
    for (const record of records) {
      await driver.updateSession(record);
      probe();
    }
    const writeMs = performance.now() - writeStarted;

    let cursor: string | undefined;
    let lastCursor: string | undefined;
    let seen = 0;
    const started = performance.now();
    do {
      const page = await driver.listSessions({ cursor, limit: PAGE });
      probe();
      if (page.items.length > 0) lastCursor = cursor;
      for (const record of page.items) {
        if (record.id !== records[seen]?.id) throw new Error(`W5: listing out of order at ${seen}`);
        seen++;
      }
      cursor = page.nextCursor;
    } while (cursor);
    const listMs = performance.now() - started;
    if (seen !== records.length) throw new Error(`W5: listed ${seen} records, expected ${records.length}`);
    const firstPageMs = await medianPageMs(() => driver.listSessions({ limit: PAGE }));
    const lastPageMs = await medianPageMs(() => driver.listSessions({ cursor: lastCursor, limit: PAGE }));
    return [
      { key: "writeRate", label: "upserts rec/s", value: perSecond(records.length, writeMs), unit: "rec/s", better: "higher" },
      { key: "listMs", label: "list all ms", value: listMs, unit: "ms", better: "lower" },
      { key: "firstPageMs", label: "first page ms", value: firstPageMs, unit: "ms", better: "lower" },
      { key: "lastPageMs", label: "last page ms", value: lastPageMs, unit: "ms", better: "lower" },
    ];
  },
};
