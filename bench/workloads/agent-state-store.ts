import { hasAgentState } from "../../src/persist/capabilities.js";
import type { BenchScale, DriverWorkload, Metric } from "../types.js";

// Agent state storage at the driver: a transcript written the way the client keeps Claude
// Code's (its first turn stored at offset 0, every later turn appended at the stored size,
// about 2 KB a turn), for transcripts of 10, 100 and 1,000 turns, then read back whole. Each
// append is timed; the median append of each transcript, and the median of the last tenth of
// the longest one (an append must not grow with the file), are reported, and the median of
// repeated whole reads (up to 20 calls or 500 ms). Drivers without the capability are skipped.

const TURN_BYTES = 2048;
const TURNS = [10, 100, 1_000];
const MAX_READS = 20;
const MAX_READ_MS = 500;

const turnsOf = (scale: BenchScale) => TURNS.map((turns) => scale.n(turns, 10));
const labelOf = (turns: number) => turns.toLocaleString("en-US");

/** One turn's bytes: a JSONL line of about 2 KB, different per turn. */
function turnBytes(turn: number): Uint8Array {
  const head = `{"type":"assistant","turn":${turn},"text":"`;
  const tail = `"}\n`;
  const body = "abcdefghijklmnopqrstuvwxyz0123456789 ".repeat(Math.ceil(TURN_BYTES / 37)).slice(0, TURN_BYTES - head.length - tail.length);
  return new TextEncoder().encode(head + body + tail);
}

const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] as number;

/** Agent state appends and reads per driver. */
export const agentStateStore: DriverWorkload<{ transcripts: number[] }> = {
  scope: "driver",
  requires: "agent state",
  id: "agent-state-store",
  title: (scale) =>
    `Agent state storage: transcripts of ${turnsOf(scale).map(labelOf).join(" / ")} turns of ~2 KB ` +
    "(median append per turn, median of the last 10% of the longest, median whole read)",
  async prepare({ scale }) {
    return { transcripts: turnsOf(scale) };
  },
  async measure({ driver, probe }, { transcripts }) {
    if (!hasAgentState(driver)) throw new Error("the driver has no agent state capability");
    const metrics: Metric[] = [];
    const longest = Math.max(...transcripts);
    for (const turns of transcripts) {
      const sessionId = `agent-state-${turns}`;
      const path = "claude-code/projects/-work-bench/3f2c.jsonl";
      const appends: number[] = [];
      let size = 0;
      for (let turn = 0; turn < turns; turn++) {
        const data = turnBytes(turn);
        const t0 = performance.now();
        await driver.appendAgentState(sessionId, path, size, data);
        appends.push(performance.now() - t0);
        size += data.byteLength;
        probe();
      }
      const reads: number[] = [];
      const started = performance.now();
      do {
        const t0 = performance.now();
        const bytes = await driver.readAgentState(sessionId, path);
        reads.push(performance.now() - t0);
        if (bytes?.byteLength !== size) throw new Error(`agent-state-store: read ${bytes?.byteLength} bytes of ${size}`);
      } while (reads.length < MAX_READS && performance.now() - started < MAX_READ_MS);
      metrics.push({ key: `append${turns}Ms`, label: `${labelOf(turns)}: append ms`, value: medianOf(appends), unit: "ms", better: "lower" });
      if (turns === longest) {
        const lastTenth = appends.slice(Math.floor(appends.length * 0.9));
        metrics.push({ key: `appendLast${turns}Ms`, label: `${labelOf(turns)}: last 10% append ms`, value: medianOf(lastTenth), unit: "ms", better: "lower" });
      }
      metrics.push({ key: `read${turns}Ms`, label: `${labelOf(turns)} (${Math.round(size / 1024)} KB): read ms`, value: medianOf(reads), unit: "ms", better: "lower" });
    }
    return metrics;
  },
};
