// A separate process for the session stores' multi-process and crash tests, run as
//   node --import tsx test/support/session-store-worker.ts <json args>
// It opens its store, prints "ready", waits for "go" on stdin (race mode) and appends its
// batches to one session, printing "ack <n>" after each (crash mode: until it is killed);
// at the end it prints one JSON line.
import type { SessionStore } from "@anthropic-ai/claude-agent-sdk";
import { barrier } from "./append-loop.js";
import { workerBatch, type SessionStoreWorkerArgs } from "./session-store-batches.js";

async function open(args: SessionStoreWorkerArgs): Promise<SessionStore & { close(): Promise<void> }> {
  const spec = args.store;
  if (spec.kind === "sqlite") return new (await import("../../drivers/sqlite.js")).SQLiteSessionStore({ filename: spec.filename });
  if (spec.kind === "redis") return new (await import("../../drivers/redis.js")).RedisSessionStore({ url: spec.url, keyPrefix: spec.keyPrefix });
  if (spec.kind === "file") return new (await import("../../drivers/file.js")).FileSessionStore({ directory: spec.directory });
  return new (await import("../../drivers/postgres.js")).PostgresSessionStore({ connectionString: spec.url, schema: spec.schema });
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? "{}") as SessionStoreWorkerArgs;
  const store = await open(args);
  try {
    await store.listSessions?.(args.key.projectKey); // connected and migrated before the race
    if (args.mode === "race") await barrier();
    for (let b = 0; b < args.batches; b++) {
      await store.append(args.key, workerBatch(args.writer, b));
      if (args.mode === "crash") process.stdout.write(`ack ${b}\n`);
      // A writer in a tight loop can take a free write lock again before the others wake up
      // (SQLite's busy wait sleeps): a moment between batches lets the race really happen.
      if (args.mode === "race") await new Promise((resolve) => setTimeout(resolve, 1));
    }
    process.stdout.write(`${JSON.stringify({ ok: true, written: [String(args.batches)] })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: String(error) })}\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}

await main();
