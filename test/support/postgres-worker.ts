// A separate process for the PostgreSQL concurrency tests, run as
//   node --import tsx test/support/postgres-worker.ts <json args>
// Modes:
//   migrate: construct a driver and use it once (which migrates), all workers at once.
//   append:  append `count` events to a shared session the way the client's recorder does
//            (next index from the tail, retry on an eventIndex conflict) and `count` to a
//            session of its own, mixing single inserts and batches.
// Prints one JSON line with what it wrote (after a "ready" line when asked to wait).
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { appendPlan, barrier } from "./append-loop.js";

/** Arguments the parent passes as one JSON string. */
export interface WorkerArgs {
  mode: "migrate" | "append";
  url: string;
  schema: string;
  tablePrefix?: string;
  /** Construct the driver with `notify: true` (signal followers). */
  notify?: boolean;
  /** Wait for a "go" line on stdin (after printing "ready") before working, so that all workers really start at once. */
  barrier?: boolean;
  worker?: number;
  sharedSession?: string;
  ownSession?: string;
  count?: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as WorkerArgs;
const driver = new PostgresSessionPersistDriver({
  connectionString: args.url,
  schema: args.schema,
  tablePrefix: args.tablePrefix,
  notify: args.notify,
});

async function main(): Promise<unknown> {
  // Appenders connect (and migrate) before the barrier, so the race starts on the first insert;
  // migrators must not, their race is the migration.
  if (args.mode === "append") await driver.listLatestEvents(args.sharedSession ?? "probe", 1);
  if (args.barrier) await barrier();
  if (args.mode === "migrate") {
    await driver.getSession("probe");
    return { ok: true };
  }
  const { worker, sharedSession, ownSession, count } = args as Required<WorkerArgs>;
  return { ok: true, ...(await appendPlan(driver, { worker, sharedSession, ownSession, count })) };
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
