import { makeEvents, makeRecord, sessionIdOf } from "../fixtures.js";
import { perSecond, timeMs } from "../support/stats.js";
import type { DriverWorkload } from "../types.js";

// W1 sequential ingest: one session, 20,000 events, each insertEvent awaited before the
// next (how the client records a live session).

/** W1 sequential ingest. */
export const w1Sequential: DriverWorkload<{ sessionId: string; events: ReturnType<typeof makeEvents> }> = {
  scope: "driver",
  id: "w1",
  title: (scale) => `W1 sequential ingest: one session, ${scale.n(20_000).toLocaleString("en-US")} events, each insertEvent awaited`,
  async prepare({ driver, scale }) {
    const record = makeRecord(1);
    await driver.updateSession(record);
    return { sessionId: sessionIdOf(1), events: makeEvents(sessionIdOf(1), scale.n(20_000)) };
  },
  async measure({ driver, probe }, { sessionId, events }) {
    const ms = await timeMs(async () => {
      for (const event of events) {
        await driver.insertEvent(sessionId, event);
        probe();
      }
    });
    return [
      { key: "throughput", label: "ev/s", value: perSecond(events.length, ms), unit: "ev/s", better: "higher", baselines: ["single", "batch"] },
    ];
  },
};
