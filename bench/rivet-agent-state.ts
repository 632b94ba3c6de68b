/**
 * Rivet agent state bench: why the Rivet driver keeps agent state files in the actor's SQLite
 * database and offers none in state mode. Inside a real RivetKit actor (a local engine in a
 * temporary directory), for a transcript of N MiB:
 *
 * - `state`: the transcript as bytes in `c.state`, grown by a 2 KB turn, then
 *   `saveState({ immediate: true })` (every event write of state mode asks for a save);
 * - `sqlite`: the transcript stored through RivetSessionPersistDriver's `appendAgentState`
 *   (8 MiB appends), then a 2 KB append at its end, and the whole file read back once.
 *
 * Median and fastest of 7 turns each; a fresh actor per measurement.
 *
 *   npx tsx bench/rivet-agent-state.ts [0,4,16,64]
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { actor, setup } from "rivetkit";
import { db } from "rivetkit/db";
import { setupTest } from "rivetkit/test";
import { RivetSessionPersistDriver } from "../drivers/rivet.js";
import { fileScopedTestContext, prepareRivetEngine } from "../test/support/rivet-engine.js";
import { retryUnrouted } from "../test/support/rivet-host.js";

const MiB = 1024 * 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const host = actor({
  createState: () => ({ files: {} as Record<string, Uint8Array> }),
  db: db(),
  actions: {
    /** Put `mib` MiB of transcript in the state, then time saves after a 2 KB "turn" each. */
    state: async (c, mib: number) => {
      c.state.files.t = new Uint8Array(mib * MiB).fill(65);
      await c.saveState({ immediate: true });
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        const before: Uint8Array = c.state.files.t!;
        const grown = new Uint8Array(before.byteLength + 2048);
        grown.set(before);
        c.state.files.t = grown;
        await c.saveState({ immediate: true });
        times.push(performance.now() - t0);
      }
      return JSON.stringify({ mib, saveMs: median(times), minMs: Math.min(...times) });
    },
    /** Store `mib` MiB through the driver (8 MiB appends), then time 2 KB appends. */
    sqlite: async (c, mib: number) => {
      const driver = new RivetSessionPersistDriver(c, { events: "sqlite" });
      let size = 0;
      const piece = new Uint8Array(8 * MiB).fill(65);
      for (let left = mib * MiB; left > 0; left -= piece.byteLength) {
        const part = piece.subarray(0, Math.min(left, piece.byteLength));
        await driver.appendAgentState!("s", "t", size, part);
        size += part.byteLength;
      }
      const times: number[] = [];
      const turn = new Uint8Array(2048).fill(66);
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        await driver.appendAgentState!("s", "t", size, turn);
        times.push(performance.now() - t0);
        size += turn.byteLength;
      }
      const r0 = performance.now();
      const read = await driver.readAgentState!("s", "t");
      const readMs = performance.now() - r0;
      return JSON.stringify({ mib, appendMs: median(times), minMs: Math.min(...times), readMs, readBytes: read?.byteLength });
    },
  },
  options: { sleepTimeout: 600_000, actionTimeout: 600_000 },
});

async function main(): Promise<void> {
  const engine = await prepareRivetEngine();
  const scope = fileScopedTestContext();
  try {
    const registry = setup({ use: { host }, enginePort: engine.port, startServices: false, noWelcome: true });
    const { client } = (await setupTest(scope.context as never, registry)) as unknown as {
      client: { host: { getOrCreate(key: string[]): Record<"state" | "sqlite", (mib: number) => Promise<string>> } };
    };
    console.log(`load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
    for (const mib of (process.argv[2] ?? "0,4,16,64").split(",").map(Number)) {
      for (const kind of ["state", "sqlite"] as const) {
        const handle = client.host.getOrCreate([randomUUID()]);
        console.log(kind, await retryUnrouted(() => handle[kind](mib)));
      }
    }
    console.log(`load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  } finally {
    await scope.dispose();
    await engine.stop();
  }
  process.exit(0);
}
void main();
