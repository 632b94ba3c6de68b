import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { startRuntime } from "../../harness/index.js";
import { InMemorySessionPersistDriver, SandboxAgent, type SessionPersistDriver } from "../../src/index.js";
import { perSecond } from "../support/stats.js";
import type { Metric, StandaloneWorkload } from "../types.js";

// Streaming ingest of a long turn: the scripted agent streams N small chunks; the SDK
// records every envelope and prompt() resolves once all are stored. Reported: the turn's
// duration, the events stored per second over the turn, and the storage lag: how long after
// the last envelope arrived the turn was fully stored (what storage adds to the turn).

async function longTurn(persist: SessionPersistDriver, chunks: number, baseUrl: string, token: string): Promise<Metric[]> {
  const sdk = await SandboxAgent.connect({ baseUrl, token, persist });
  const session = await sdk.createSession({ agent: "mock" });
  let lastArrival = 0;
  let events = 0;
  session.onEvent(() => {
    events++;
    lastArrival = performance.now();
  });
  const started = performance.now();
  await session.prompt(`/chunks ${chunks}`);
  const ended = performance.now();
  const stored = await persist.listEvents({ sessionId: session.id, cursor: undefined, limit: 1 });
  if (stored.items.length === 0) throw new Error("nothing stored");
  await sdk.dispose();
  return [
    { key: "turnMs", label: "turn ms", value: ended - started, unit: "ms", better: "lower" },
    { key: "stored", label: "stored ev/s", value: perSecond(events, ended - started), unit: "ev/s", better: "higher" },
    { key: "lagMs", label: "storage lag ms", value: ended - lastArrival, unit: "ms", better: "lower" },
  ];
}

/** Long streamed turn through the SDK, per store. */
export const longTurnIngest: StandaloneWorkload = {
  scope: "standalone",
  id: "long-turn",
  title: (scale) => `Streaming ingest of a long turn: ${scale.n(5000, 100)} chunks through the SDK on sandbox-agent`,
  async run(scale) {
    const chunks = scale.n(5000, 100);
    const runtime = await startRuntime();
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-long-"));
    try {
      const sqlite = new SQLiteSessionPersistDriver({ filename: join(dir, "long.db") });
      const rows = {
        "SDK + SQLite": await longTurn(sqlite, chunks, runtime.baseUrl, runtime.token),
        "SDK + in-memory": await longTurn(new InMemorySessionPersistDriver({ maxEventsPerSession: chunks * 2 }), chunks, runtime.baseUrl, runtime.token),
      };
      await sqlite.close();
      return rows;
    } finally {
      await runtime.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
