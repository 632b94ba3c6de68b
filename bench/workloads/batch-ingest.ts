import { insertEventsVia } from "../../src/persist/capabilities.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { makeEvents, makeRecord, sessionIdOf } from "../fixtures.js";
import { perSecond, timeMs } from "../support/stats.js";
import type { DriverWorkload } from "../types.js";

// Batch ingest: W1's 20,000 events through insertEventsVia in batches of 500 (the batch
// capability when the driver has it, one insert after the other otherwise).

const BATCH = 500;

/** Batch ingest. */
export const batchIngest: DriverWorkload<{ sessionId: string; events: SessionEvent[] }> = {
  scope: "driver",
  id: "batch",
  title: (scale) =>
    `Batch ingest: one session, ${scale.n(20_000).toLocaleString("en-US")} events through insertEventsVia, ${BATCH} per batch`,
  async prepare({ driver, scale }) {
    await driver.updateSession(makeRecord(1));
    return { sessionId: sessionIdOf(1), events: makeEvents(sessionIdOf(1), scale.n(20_000)) };
  },
  async measure({ driver, probe }, { sessionId, events }) {
    const ms = await timeMs(async () => {
      for (let at = 0; at < events.length; at += BATCH) {
        await insertEventsVia(driver, sessionId, events.slice(at, at + BATCH));
        probe();
      }
    });
    return [
      { key: "throughput", label: "ev/s", value: perSecond(events.length, ms), unit: "ev/s", better: "higher", baselines: ["batch"] },
    ];
  },
};
