import { makeRecord } from "../fixtures.js";
import { perSecond } from "../support/stats.js";
import type { DriverWorkload } from "../types.js";
import type { SessionRecord } from "../../src/persist/types.js";

// W5 sessions: write 10,000 session records (updateSession, each awaited), then list them
// all, 100 per page (an app's session picker). Reports the upsert rate, the whole listing
// and its first and last page.

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
    let seen = 0;
    let pages = 0;
    let firstPageMs = 0;
    let lastPageMs = 0;
    const started = performance.now();
    do {
      const t0 = performance.now();
      const page = await driver.listSessions({ cursor, limit: PAGE });
      const ms = performance.now() - t0;
      probe();
      if (pages === 0) firstPageMs = ms;
      if (page.items.length > 0) lastPageMs = ms;
      for (const record of page.items) {
        if (record.id !== records[seen]?.id) throw new Error(`W5: listing out of order at ${seen}`);
        seen++;
      }
      pages++;
      cursor = page.nextCursor;
    } while (cursor);
    const listMs = performance.now() - started;
    if (seen !== records.length) throw new Error(`W5: listed ${seen} records, expected ${records.length}`);
    return [
      { key: "writeRate", label: "upserts rec/s", value: perSecond(records.length, writeMs), unit: "rec/s", better: "higher" },
      { key: "listMs", label: "list all ms", value: listMs, unit: "ms", better: "lower" },
      { key: "firstPageMs", label: "first page ms", value: firstPageMs, unit: "ms", better: "lower" },
      { key: "lastPageMs", label: "last page ms", value: lastPageMs, unit: "ms", better: "lower" },
    ];
  },
};
