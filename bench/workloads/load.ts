import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LOAD_RESULT_PREFIX, type LoadRowResult, type LoadShape, type LoadStore } from "../support/load-row.js";
import { repoPath } from "../support/load.js";
import type { BenchScale, Metric, StandaloneWorkload } from "../types.js";

// The client under load on the real runtime: one SandboxAgent (default connection
// settings, plus one row with every session on one shared connection), many sessions prompting at once, the scripted agent streaming `/chunks N`
// answers. Two shapes, each on a SQLite file and on the in-memory store; every row runs in a
// fresh child process (bench/support/load-child.ts) so that its peak RSS is its own.
// Reported per row: prompts resolved, p50/p99 turn latency, the client's peak RSS, the chunks
// found in the store afterwards against those the agent was asked to send, and the event
// streams' gaps healed and events lost (sdk.stats()). See bench/support/load-row.ts.

const run = promisify(execFile);

const shapes = (scale: BenchScale): LoadShape[] => [
  { sessions: scale.n(40, 2), prompts: scale.n(10, 2), chunks: scale.n(500, 20) },
  { sessions: scale.n(4, 1), prompts: scale.n(5, 1), chunks: scale.n(2000, 50) },
];

const STORES: [LoadStore, string][] = [
  ["sqlite", "SQLite"],
  ["memory", "in-memory"],
];

const describeShape = (s: LoadShape) =>
  `${s.sessions} sessions x ${s.prompts} prompts x ${s.chunks.toLocaleString("en-US")} chunks${s.scope === "agent" ? ", one shared connection" : ""}`;

/** Runs one row in a fresh child process; logs why prompts failed, if any did. */
async function childRow(store: LoadStore, shape: LoadShape, name: string): Promise<Metric[]> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", repoPath("bench/support/load-child.ts"), store, JSON.stringify(shape)], {
    cwd: repoPath("."),
    maxBuffer: 16 * 2 ** 20,
  });
  const line = stdout.split("\n").find((l) => l.startsWith(LOAD_RESULT_PREFIX));
  if (line === undefined) throw new Error(`load child for ${name} printed no result`);
  const result = JSON.parse(line.slice(LOAD_RESULT_PREFIX.length)) as LoadRowResult;
  for (const [reason, count] of Object.entries(result.failures)) process.stdout.write(`  load ${name}: ${count} failed: ${reason}\n`);
  return result.metrics;
}

/** The client under concurrent streaming load, on SQLite and in memory. */
export const clientLoad: StandaloneWorkload = {
  scope: "standalone",
  id: "load",
  title: (scale) =>
    `Client under load on sandbox-agent: one SandboxAgent, all sessions prompting at once (${shapes(scale).map(describeShape).join("; ")}), a fresh process per row`,
  async run(scale) {
    const rows: Record<string, Metric[]> = {};
    for (const shape of shapes(scale)) {
      for (const [store, storeName] of STORES) {
        const name = `${storeName}, ${describeShape(shape)}`;
        rows[name] = await childRow(store, shape, name);
      }
    }
    // The reference client's layout for comparison: every session on one connection (and one
    // agent process), whose event stream the runtime may skip ahead under this load.
    const shared: LoadShape = { ...shapes(scale)[0]!, scope: "agent" };
    const name = `SQLite, ${describeShape(shared)}`;
    rows[name] = await childRow("sqlite", shared, name);
    return rows;
  },
};
