import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { startRuntime } from "../../harness/index.js";
import { SandboxAgent } from "../../src/index.js";
import { connectBare } from "../client/bare-sandbox-agent.js";
import { median } from "../support/stats.js";
import type { Metric, StandaloneWorkload } from "../types.js";

// Prompt round trip on the real sandbox-agent runtime and scripted agent: the SDK with a
// SQLite file store (recording every envelope, prompt() resolving once the turn is stored)
// against a bare ACP client on the same runtime and agent. Each turn is the agent's
// default reply (3 streamed chunks, a context chunk, the response).

const WARMUP = 20;

async function timeTurns(turns: number, prompt: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await prompt(i);
  const times: number[] = [];
  for (let i = 0; i < turns; i++) {
    const started = performance.now();
    await prompt(i);
    times.push(performance.now() - started);
  }
  return times;
}

const row = (times: number[]): Metric[] => [
  { key: "median", label: "median ms/turn", value: median(times), unit: "ms", better: "lower" },
  { key: "p90", label: "p90 ms/turn", value: [...times].sort((a, b) => a - b)[Math.floor(times.length * 0.9)]!, unit: "ms", better: "lower" },
];

/** SDK prompt round trip against a bare ACP client. */
export const clientRoundTrip: StandaloneWorkload = {
  scope: "standalone",
  id: "rtt",
  title: (scale) => `Prompt round trip on sandbox-agent: SDK + SQLite store vs bare ACP client, ${scale.n(200, 20)} turns each (median of turns)`,
  async run(scale) {
    const turns = scale.n(200, 20);
    const runtime = await startRuntime();
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-rtt-"));
    try {
      const bare = await connectBare(runtime.baseUrl, runtime.token, "mock");
      const { sessionId } = (await bare.acp.agent.request("session/new", { cwd: "/", mcpServers: [] })) as { sessionId: string };
      const bareTimes = await timeTurns(turns, (i) =>
        bare.acp.agent.request("session/prompt", { sessionId, prompt: [{ type: "text", text: `turn ${i}` }] }),
      );
      bare.close();

      const persist = new SQLiteSessionPersistDriver({ filename: join(dir, "rtt.db") });
      const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist });
      const session = await sdk.createSession({ agent: "mock" });
      const sdkTimes = await timeTurns(turns, (i) => session.prompt(`turn ${i}`));
      await sdk.dispose();
      await persist.close();

      const overhead = median(sdkTimes) - median(bareTimes);
      return {
        "bare ACP client": row(bareTimes),
        "SDK + SQLite": [...row(sdkTimes), { key: "overhead", label: "overhead ms/turn", value: overhead, unit: "ms", better: "lower" }],
      };
    } finally {
      await runtime.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
