import { appendFileSync, closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeEvents } from "../fixtures.js";
import type { BenchScale, RawEngine } from "../types.js";

// node:fs with no driver around it: the same events as JSON lines appended to one file,
// synced with fdatasync (the call the file driver makes): one append and one sync per
// event, and 500 lines per append and sync.

const BATCH = 500;
const count = (scale: BenchScale) => scale.n(20_000);

async function once(scale: BenchScale, batched: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-raw-"));
  const fd = openSync(join(dir, "raw.jsonl"), "a");
  try {
    const lines = makeEvents("raw-session", count(scale)).map((e) => `${JSON.stringify(e)}\n`);
    const step = batched ? BATCH : 1;
    const started = performance.now();
    for (let at = 0; at < lines.length; at += step) {
      appendFileSync(fd, step === 1 ? (lines[at] as string) : lines.slice(at, at + step).join(""));
      fdatasyncSync(fd);
    }
    return lines.length / ((performance.now() - started) / 1000);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw file ingest rates. */
export const rawFile: RawEngine = {
  name: "file",
  describe: (scale) => ({
    single: `fs.appendFileSync + fdatasync per event (${count(scale).toLocaleString("en-US")} events)`,
    batch: `fs.appendFileSync of ${BATCH} lines + fdatasync (${count(scale).toLocaleString("en-US")} events)`,
  }),
  unavailable: () => undefined,
  async run(scale) {
    return { single: await once(scale, false), batch: await once(scale, true) };
  },
};
