import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { scriptedAgentState, scriptedSessionFile, startRuntime } from "../../harness/index.js";
import { SandboxAgent, type AgentStateStats } from "../../src/index.js";
import { median } from "../support/stats.js";
import type { Metric, StandaloneWorkload } from "../types.js";

// Agent state snapshots on the real sandbox-agent runtime with the scripted agent (its
// append-only JSONL session file: the byte and time shape of Claude Code's transcript, not
// its size per turn), a SQLite file store: sessions of 10, 100 and 1,000 turns. After each
// turn the client copies the file out in the background; the bench waits for that snapshot
// and records its time, the bytes read from the sandbox (the whole file: the runtime's file
// API has no ranged read) and the bytes stored (only the new tail).

const LENGTHS = [10, 100, 1000];

async function snapshotDone(sdk: SandboxAgent, count: number): Promise<AgentStateStats> {
  for (;;) {
    const stats = sdk.stats().agentState;
    if (stats.snapshots + stats.snapshotFailures >= count) return stats;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Snapshot cost per turn and stored bytes, by session length. */
export const agentStateWorkload: StandaloneWorkload = {
  scope: "standalone",
  id: "agent-state",
  title: (scale) =>
    `Agent state snapshots (scripted agent on sandbox-agent, SQLite store): sessions of ${LENGTHS.map((n) => scale.n(n, 2)).join(", ")} turns`,
  async run(scale) {
    const runtime = await startRuntime({ loadSession: true });
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-state-"));
    const rows: Record<string, Metric[]> = {};
    try {
      for (const length of LENGTHS.map((n) => scale.n(n, 2))) {
        const persist = new SQLiteSessionPersistDriver({ filename: join(dir, `state-${length}.db`) });
        const sdk = await SandboxAgent.connect({
          baseUrl: runtime.baseUrl,
          token: runtime.token,
          persist,
          agentState: { kinds: { mock: scriptedAgentState(runtime.agentStateDir) } },
        });
        const session = await sdk.createSession({ agent: "mock" });
        const snapshotMs: number[] = [];
        const promptMs: number[] = [];
        let previous = sdk.stats().agentState;
        let lastRead = 0;
        for (let turn = 1; turn <= length; turn++) {
          const started = performance.now();
          await session.prompt(`turn ${turn}: a prompt of some forty characters or so`);
          promptMs.push(performance.now() - started);
          const now = await snapshotDone(sdk, turn);
          snapshotMs.push(now.snapshotMs - previous.snapshotMs);
          lastRead = now.bytesRead - previous.bytesRead;
          previous = now;
        }
        const stats = sdk.stats().agentState;
        if (stats.snapshotFailures > 0) throw new Error(`${stats.snapshotFailures} snapshots failed`);
        const fileBytes = statSync(scriptedSessionFile(runtime.agentStateDir, session.agentSessionId)).size;
        const stored = (await persist.listAgentState!(session.id)).reduce((sum, file) => sum + file.size, 0);
        const tail = snapshotMs.slice(-Math.max(1, Math.floor(length / 10)));
        rows[`${length} turns`] = [
          { key: "snapshotMedian", label: "snapshot median ms/turn", value: median(snapshotMs), unit: "ms", better: "lower" },
          { key: "snapshotLast", label: "snapshot ms, last 10% of turns", value: median(tail), unit: "ms", better: "lower" },
          { key: "prompt", label: "prompt median ms", value: median(promptMs), unit: "ms", better: "lower" },
          { key: "fileBytes", label: "session file KB", value: fileBytes / 1024, unit: "KB", better: "lower" },
          { key: "storedBytes", label: "stored KB (file + manifest)", value: stored / 1024, unit: "KB", better: "lower" },
          { key: "storedPerTurn", label: "KB stored per turn", value: stats.bytesStored / length / 1024, unit: "KB", better: "lower" },
          { key: "readLast", label: "KB read at the last turn", value: lastRead / 1024, unit: "KB", better: "lower" },
        ];
        await sdk.dispose();
        await persist.close();
      }
      return rows;
    } finally {
      await runtime.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
