import { recordedTurns } from "../../src/conformance/turns.js";
import { forkSession } from "../../src/lifecycle/fork.js";
import { applyRetention } from "../../src/lifecycle/retention.js";
import { insertEventsVia } from "../../src/persist/capabilities.js";
import type { DriverWorkload } from "../types.js";

// Lifecycle (issue 15): retention over 10,000 sessions of 3 turns each (12 events): the
// older half deleted by maxAgeMs, the newer half trimmed to 2 turns and the marker
// (maxEventsPerSession 9, replay of 2 entries), one deleteEventsBefore each; then a fork of
// a 100,000-event session (copied in insertEvents batches of 1000).

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;
const BIG = "lifecycle-big";

interface State {
  sessions: number;
  bigEvents: number;
}

/** Lifecycle: retention and fork. */
export const lifecycleWorkload: DriverWorkload<State> = {
  scope: "driver",
  requires: "event trim and deleteSession",
  id: "lifecycle",
  title: (scale) =>
    `Lifecycle: applyRetention over ${scale.n(10_000).toLocaleString("en-US")} sessions of 12 events (half deleted by age, half trimmed), fork of a ${scale
      .n(100_000)
      .toLocaleString("en-US")}-event session`,
  async prepare({ driver, scale }) {
    const sessions = scale.n(10_000, 2);
    for (let i = 0; i < sessions; i++) {
      const id = `lifecycle-${String(i).padStart(6, "0")}`;
      const at = i < sessions / 2 ? NOW - 60 * DAY : NOW - DAY;
      await driver.updateSession({ id, agent: "mock", agentSessionId: "a", lastConnectionId: "c", createdAt: at });
      await insertEventsVia(driver, id, recordedTurns({ sessionId: id, turns: 3, startAt: at }));
    }
    const bigEvents = scale.n(100_000, 4) - (scale.n(100_000, 4) % 4);
    await driver.updateSession({ id: BIG, agent: "mock", agentSessionId: "a", lastConnectionId: "c", createdAt: NOW - DAY });
    const all = recordedTurns({ sessionId: BIG, turns: bigEvents / 4, startAt: NOW - DAY });
    for (let at = 0; at < all.length; at += 1000) await insertEventsVia(driver, BIG, all.slice(at, at + 1000));
    return { sessions, bigEvents };
  },
  async measure({ driver, probe }, { sessions, bigEvents }) {
    let started = performance.now();
    const fork = await forkSession(driver, BIG, { newId: "lifecycle-fork", now: NOW });
    const forkMs = performance.now() - started;
    if (fork.copiedEvents !== bigEvents) throw new Error(`lifecycle: fork copied ${fork.copiedEvents} of ${bigEvents}`);
    probe();
    started = performance.now();
    const report = await applyRetention(
      driver,
      { maxAgeMs: 30 * DAY, maxEventsPerSession: 9, replay: { maxEvents: 2 }, keep: (r) => r.id === BIG || r.id === "lifecycle-fork" },
      { now: NOW, onProgress: () => probe() },
    );
    const retentionMs = performance.now() - started;
    const half = Math.ceil(sessions / 2);
    if (report.deletedSessions.length !== half || report.trimmedSessions.length !== sessions - half) {
      throw new Error(`lifecycle: deleted ${report.deletedSessions.length}, trimmed ${report.trimmedSessions.length} of ${sessions}`);
    }
    return [
      { key: "retentionMs", label: "retention ms", value: retentionMs, unit: "ms", better: "lower" },
      { key: "forkMs", label: "fork ms", value: forkMs, unit: "ms", better: "lower" },
    ];
  },
};
