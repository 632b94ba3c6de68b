// A separate process for the multi-process tests of the Redis and file drivers, run as
//   node --import tsx test/support/append-worker.ts <json args>
// It connects, prints "ready", waits for "go" on stdin, runs its append plan (append-loop.ts)
// and prints one JSON line with what it wrote.
import type { PersistDriver } from "../../src/persist/persist-driver.js";
import { appendPlan, barrier, type AppendPlan } from "./append-loop.js";

/** Arguments the parent passes as one JSON string. */
export interface AppendWorkerArgs extends AppendPlan {
  /** Which driver, and its options. */
  driver: { kind: "redis"; url: string; keyPrefix: string } | { kind: "file"; directory: string };
}

const args = JSON.parse(process.argv[2] ?? "{}") as AppendWorkerArgs;
const spec = args.driver;
const driver: PersistDriver =
  spec.kind === "redis"
    ? new (await import("../../drivers/redis.js")).RedisSessionPersistDriver({ url: spec.url, keyPrefix: spec.keyPrefix })
    : new (await import("../../drivers/file.js")).FileSessionPersistDriver({ directory: spec.directory });

async function main(): Promise<unknown> {
  await driver.listLatestEvents(args.sharedSession, 1); // connect before the race starts
  await barrier();
  return { ok: true, ...(await appendPlan(driver, args)) };
}

main()
  .then(async (result) => {
    await driver.close();
    process.stdout.write(`${JSON.stringify(result)}\n`);
  })
  .catch(async (error: unknown) => {
    await driver.close().catch(() => undefined);
    process.stdout.write(`${JSON.stringify({ ok: false, error: String(error) })}\n`);
    process.exitCode = 1;
  });
