import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import type { SessionEvent } from "../../src/persist/types.js";
import type { Metric, StandaloneWorkload } from "../types.js";

// `durable-agent migrate` as an operator runs it: a spawned CLI process copies a SQLite file
// of recorded sessions into a fresh PostgreSQL schema (the server runs with fsync on), then
// verifies both stores (counts and SHA-256 per session). Figures: the process's wall time,
// the copy rate it reports, and its verification time.

const ROOT = resolve(import.meta.dirname, "../..");
const SESSIONS = 50;

/** A session's worth of realistic envelopes: turns of prompt, streamed chunks, a tool call, the response. */
function sessionEvents(sessionId: string, count: number, createdAt: number): SessionEvent[] {
  const events: SessionEvent[] = [];
  let request = 0;
  const push = (sender: "client" | "agent", payload: Record<string, unknown>) =>
    events.push({ id: `${sessionId}-${events.length}`, eventIndex: events.length, sessionId, createdAt: createdAt + events.length, connectionId: "conn-1", sender, payload: payload as never });
  while (events.length < count) {
    const id = request++;
    push("client", { jsonrpc: "2.0", id, method: "session/prompt", params: { sessionId: "agent-1", prompt: [{ type: "text", text: `Turn ${id}: refactor the parser, keep the tests green` }] } });
    push("agent", { jsonrpc: "2.0", method: "session/update", params: { sessionId: "agent-1", update: { sessionUpdate: "tool_call", toolCallId: `t${id}`, title: "Read src/parser.ts", kind: "read", status: "completed" } } });
    for (let c = 0; c < 8; c++) {
      push("agent", { jsonrpc: "2.0", method: "session/update", params: { sessionId: "agent-1", update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: `chunk ${c} of the answer to turn ${id}, about forty characters long ` } } } });
    }
    push("agent", { jsonrpc: "2.0", id, result: { stopReason: "end_turn" } });
  }
  return events.slice(0, count);
}

/** Run the CLI to its end; its `--json` report and wall time. */
function runMigrate(from: string, to: string): Promise<{ ms: number; report: { eventsPerSecond: number; copyMs: number; events: { copied: number }; verify: { ms: number; mismatches: unknown[] } } }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "migrate", from, to, "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((done, fail) => {
    child.on("close", (code) => {
      const ms = performance.now() - started;
      if (code !== 0) fail(new Error(`durable-agent migrate exited ${code}: ${stderr}`));
      else done({ ms, report: JSON.parse(stdout) });
    });
  });
}

/** 100,000 events (50 sessions) migrated SQLite -> PostgreSQL by the CLI, verified. */
export const cliMigrate: StandaloneWorkload = {
  scope: "standalone",
  id: "cli-migrate",
  needsPostgres: true,
  title: (scale) =>
    `durable-agent migrate: ${scale.n(100_000, 2000).toLocaleString("en-US")} events in ${SESSIONS} sessions, SQLite -> PostgreSQL (fsync on), spawned CLI, verified at the end`,
  unavailable: () => undefined,
  async run(scale, env) {
    if (!env.postgresUrl) throw new Error("cli-migrate needs the bench's PostgreSQL server");
    const total = scale.n(100_000, 2000);
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-cli-"));
    const schema = `bench_cli_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Pool({ connectionString: env.postgresUrl, max: 1 });
    admin.on("error", () => undefined);
    try {
      const filename = join(dir, "sessions.db");
      const source = new SQLiteSessionPersistDriver({ filename });
      const perSession = Math.ceil(total / SESSIONS);
      let seeded = 0;
      for (let s = 0; s < SESSIONS && seeded < total; s++) {
        const id = `session-${s}`;
        const count = Math.min(perSession, total - seeded);
        await source.updateSession({ id, agent: "claude", agentSessionId: `agent-${s}`, lastConnectionId: "conn-1", createdAt: 1_700_000_000_000 + s });
        const events = sessionEvents(id, count, 1_700_000_000_000 + s);
        for (let i = 0; i < events.length; i += 1000) await source.insertEvents(id, events.slice(i, i + 1000));
        seeded += count;
      }
      await source.close();
      const target = `${env.postgresUrl}${env.postgresUrl.includes("?") ? "&" : "?"}schema=${schema}`;
      const { ms, report } = await runMigrate(`sqlite:${filename}`, target);
      if (report.events.copied !== total || report.verify.mismatches.length !== 0) {
        throw new Error(`migration copied ${report.events.copied} of ${total} events, ${report.verify.mismatches.length} mismatch(es)`);
      }
      const metrics: Metric[] = [
        { key: "wallMs", label: "process wall time ms", value: ms, unit: "ms", better: "lower" },
        { key: "copyRate", label: "copy ev/s", value: report.eventsPerSecond, unit: "ev/s", better: "higher" },
        { key: "copyMs", label: "copy ms", value: report.copyMs, unit: "ms", better: "lower" },
        { key: "verifyMs", label: "verify ms", value: report.verify.ms, unit: "ms", better: "lower" },
      ];
      return { "sqlite -> postgres": metrics };
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
