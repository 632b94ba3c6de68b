import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { startRuntime } from "../../harness/index.js";
import { InMemorySessionPersistDriver, SandboxAgent, type SessionPersistDriver } from "../../src/index.js";
import type { Metric } from "../types.js";
import { median } from "./stats.js";

// One row of the `load` workload (bench/workloads/load.ts): one SandboxAgent on a fresh
// runtime, every session prompting at once, the scripted agent streaming `/chunks N`
// answers. Run in a fresh child process per row (bench/support/load-child.ts), so that the
// peak RSS is this row's alone.

/** How many sessions prompt at once, how many prompts each, how many chunks per answer. */
export interface LoadShape {
  sessions: number;
  prompts: number;
  chunks: number;
  /** The client's `connectionScope` (default `"session"`: a runtime connection per session). */
  scope?: "session" | "agent";
}

/** Which store a row runs on. */
export type LoadStore = "sqlite" | "memory";

/** A row's figures, and why prompts failed (message -> count). */
export interface LoadRowResult {
  metrics: Metric[];
  failures: Record<string, number>;
}

/** Prefix of the line on which bench/support/load-child.ts prints its {@link LoadRowResult} as JSON. */
export const LOAD_RESULT_PREFIX = "BENCH_LOAD_RESULT ";

/** The shape of `SandboxAgent.stats()` (guarded at run time: older clients lack it). */
interface ClientStats {
  streamReconnects: number;
  gapsHealed: number;
  gapsLost: number;
  eventsLost: number;
}

const PROMPT_TIMEOUT_MS = 120_000;
const RSS_SAMPLE_MS = 50;
const CHUNK_TEXT = /^chunk \d+\n$/;
/** Metric has no unit for plain counts; "rec/s" is the one printed as a whole number. */
const COUNT = "rec/s" as const;

/** Samples the process's RSS every 50 ms until `stop()`, which returns the peak in MB. */
function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), RSS_SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss) / 2 ** 20;
    },
  };
}

/** Nearest-rank percentile of a non-empty list. */
function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** Whether a stored payload is a scripted `chunk <k>\n` agent_message_chunk update. */
function isChunk(payload: unknown): boolean {
  const message = payload as { method?: string; params?: { update?: { sessionUpdate?: string; content?: { text?: unknown } } } };
  const update = message.method === "session/update" ? message.params?.update : undefined;
  const text = update?.sessionUpdate === "agent_message_chunk" ? update.content?.text : undefined;
  return typeof text === "string" && CHUNK_TEXT.test(text);
}

/** Chunk updates stored for these sessions, counted by paging `listEvents`. */
async function storedChunks(persist: SessionPersistDriver, sessionIds: readonly string[]): Promise<number> {
  let count = 0;
  for (const sessionId of sessionIds) {
    let cursor: string | undefined;
    do {
      const page = await persist.listEvents({ sessionId, cursor, limit: 1000 });
      for (const event of page.items) if (isChunk(event.payload)) count++;
      cursor = page.nextCursor;
    } while (cursor);
  }
  return count;
}

/** Drives every session at once; returns the latencies of the prompts that resolved. */
async function drive(sdk: SandboxAgent, shape: LoadShape, sessionIds: string[], failures: Record<string, number>): Promise<number[]> {
  const latencies: number[] = [];
  const fail = (error: unknown, count = 1) => {
    const reason = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 160) : String(error);
    failures[reason] = (failures[reason] ?? 0) + count;
  };
  await Promise.all(
    Array.from({ length: shape.sessions }, async () => {
      const session = await sdk.createSession({ agent: "mock" }).catch((error: unknown) => fail(error, shape.prompts));
      if (!session) return;
      sessionIds.push(session.id);
      for (let p = 0; p < shape.prompts; p++) {
        const started = performance.now();
        await session.prompt(`/chunks ${shape.chunks}`, { timeoutMs: PROMPT_TIMEOUT_MS }).then(
          () => latencies.push(performance.now() - started),
          (error: unknown) => fail(error),
        );
      }
    }),
  );
  return latencies;
}

/** Runs one row on a fresh runtime and store. */
export async function runLoadRow(store: LoadStore, shape: LoadShape): Promise<LoadRowResult> {
  const runtime = await startRuntime();
  const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-load-"));
  let persist: SessionPersistDriver | undefined;
  try {
    persist =
      store === "sqlite"
        ? new SQLiteSessionPersistDriver({ filename: join(dir, "load.db") })
        : // Room for every event of a session (a turn is its chunks plus a few envelopes).
          new InMemorySessionPersistDriver({ maxEventsPerSession: shape.prompts * (shape.chunks + 20) });
    const sdk = await SandboxAgent.connect({
      baseUrl: runtime.baseUrl,
      token: runtime.token,
      persist,
      onError: () => undefined,
      connectionScope: shape.scope ?? "session",
    });
    const rss = sampleRss();
    const sessionIds: string[] = [];
    const failures: Record<string, number> = {};
    const latencies = await drive(sdk, shape, sessionIds, failures);
    const rssPeakMb = rss.stop();
    const client = sdk as SandboxAgent & { stats?: () => ClientStats };
    const stats = typeof client.stats === "function" ? client.stats() : undefined;
    await sdk.dispose().catch(() => undefined);
    const total = shape.sessions * shape.prompts;
    const metrics: Metric[] = [
      { key: "resolved", label: "prompts ok", value: latencies.length, unit: COUNT, better: "higher" },
      { key: "prompts", label: "prompts", value: total, unit: COUNT, better: "higher" },
    ];
    if (latencies.length > 0) {
      metrics.push(
        { key: "p50", label: "p50 ms/turn", value: median(latencies), unit: "ms", better: "lower" },
        { key: "p99", label: "p99 ms/turn", value: percentile(latencies, 0.99), unit: "ms", better: "lower" },
      );
    }
    metrics.push(
      { key: "rss", label: "RSS peak MB", value: rssPeakMb, unit: "MB", better: "lower" },
      { key: "stored", label: "chunks stored", value: await storedChunks(persist, sessionIds), unit: COUNT, better: "higher" },
      { key: "sent", label: "chunks sent", value: total * shape.chunks, unit: COUNT, better: "higher" },
    );
    if (stats !== undefined) {
      metrics.push(
        { key: "healed", label: "gaps healed", value: stats.gapsHealed, unit: COUNT, better: "lower" },
        { key: "lost", label: "events lost", value: stats.eventsLost, unit: COUNT, better: "lower" },
      );
    }
    return { metrics, failures };
  } finally {
    if (persist instanceof SQLiteSessionPersistDriver) await persist.close();
    await runtime.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
