import { makeEvents, makeRecord, sessionIdOf } from "../fixtures.js";
import { perSecond, timeMs } from "../support/stats.js";
import type { DriverWorkload } from "../types.js";
import type { SessionEvent } from "../../src/persist/types.js";

// W2 concurrent ingest: 8 sessions at once, 2,500 events each; each session's inserts are
// sequential (awaited), the sessions run in parallel (several live sessions in one app).

const SESSIONS = 8;

/** W2 concurrent ingest. */
export const w2Concurrent: DriverWorkload<{ sessions: { sessionId: string; events: SessionEvent[] }[] }> = {
  scope: "driver",
  id: "w2",
  title: (scale) =>
    `W2 concurrent ingest: ${SESSIONS} sessions at once, ${scale.n(2_500).toLocaleString("en-US")} events each, sequential within a session`,
  async prepare({ driver, scale }) {
    const sessions = [];
    for (let n = 1; n <= SESSIONS; n++) {
      await driver.updateSession(makeRecord(n));
      sessions.push({ sessionId: sessionIdOf(n), events: makeEvents(sessionIdOf(n), scale.n(2_500)) });
    }
    return { sessions };
  },
  async measure({ driver, probe }, { sessions }) {
    const total = sessions.reduce((sum, s) => sum + s.events.length, 0);
    const ms = await timeMs(() =>
      Promise.all(
        sessions.map(async ({ sessionId, events }) => {
          for (const event of events) {
            await driver.insertEvent(sessionId, event);
            probe();
          }
        }),
      ),
    );
    return [
      { key: "throughput", label: "ev/s (all sessions)", value: perSecond(total, ms), unit: "ev/s", better: "higher", baselines: ["single"] },
    ];
  },
};
