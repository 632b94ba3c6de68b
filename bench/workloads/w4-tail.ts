import { listLatestEventsVia } from "../../src/persist/capabilities.js";
import { seedSession } from "../support/seed.js";
import type { BenchScale, DriverWorkload, Metric } from "../types.js";

// W4 tail read: the last 50 events of sessions of 1,000, 10,000 and 100,000 events, via
// listLatestEventsVia (what restoring a session reads). All three sessions live in one
// store. Each size is read repeatedly (up to 20 calls or 500 ms, at least once) and the
// median call is reported, so one scheduling hiccup does not become the figure.

const TAIL = 50;
const SIZES = [1_000, 10_000, 100_000];
const MAX_CALLS = 20;
const MAX_MS = 500;

const sizesOf = (scale: BenchScale) => SIZES.map((size) => scale.n(size, TAIL));
const labelOf = (size: number) => (size >= 1000 && size % 1000 === 0 ? `${size / 1000}k` : String(size));

/** W4 tail read. */
export const w4Tail: DriverWorkload<{ sessions: { sessionId: string; size: number }[] }> = {
  scope: "driver",
  id: "w4",
  memory: true,
  title: (scale) =>
    `W4 tail read: last ${TAIL} events of sessions of ${sizesOf(scale).map((s) => s.toLocaleString("en-US")).join(" / ")} events (median call)`,
  async prepare({ driver, scale }) {
    const sessions = [];
    for (const [i, size] of sizesOf(scale).entries()) {
      sessions.push({ sessionId: await seedSession(driver, i + 1, size), size });
    }
    return { sessions };
  },
  async measure({ driver, probe }, { sessions }) {
    const metrics: Metric[] = [];
    for (const { sessionId, size } of sessions) {
      const times: number[] = [];
      const started = performance.now();
      do {
        const t0 = performance.now();
        const tail = await listLatestEventsVia(driver, sessionId, TAIL);
        times.push(performance.now() - t0);
        probe();
        const last = tail.at(-1);
        if (tail.length !== TAIL || last?.eventIndex !== size - 1 || tail[0]?.eventIndex !== size - TAIL) {
          throw new Error(`W4: wrong tail of the ${size}-event session`);
        }
      } while (times.length < MAX_CALLS && performance.now() - started < MAX_MS);
      times.sort((a, b) => a - b);
      metrics.push({
        key: `tail${size}Ms`,
        label: `${labelOf(size)} ms`,
        value: times[times.length >> 1] as number,
        unit: "ms",
        better: "lower",
      });
    }
    return metrics;
  },
};
