// A separate process for the PostgreSQL concurrency tests, run as
//   node --import tsx test/support/postgres-worker.ts <json args>
// Modes:
//   migrate: construct a driver and use it once (which migrates), all workers at once.
//   append:  append `count` events to a shared session the way the client's recorder does
//            (next index from the tail, retry on an eventIndex conflict) and `count` to a
//            session of its own, mixing single inserts and batches.
// Prints one JSON line with what it wrote (after a "ready" line when asked to wait).
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { EventConflictError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";

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

function event(sessionId: string, id: string, eventIndex: number): SessionEvent {
  return {
    id,
    eventIndex,
    sessionId,
    createdAt: Date.now(),
    connectionId: `worker-${args.worker}`,
    sender: "client",
    payload: { jsonrpc: "2.0", method: "session/update", params: { worker: args.worker, id } },
  };
}

async function nextIndex(sessionId: string): Promise<number> {
  const [last] = await driver.listLatestEvents(sessionId, 1);
  return last === undefined ? 0 : last.eventIndex + 1;
}

/** Append `ids` to `sessionId` as one unit (an insert, or a batch), retrying when another writer took the index first. */
async function append(sessionId: string, ids: string[]): Promise<number> {
  for (let conflicts = 0; ; conflicts++) {
    const start = await nextIndex(sessionId);
    const events = ids.map((id, i) => event(sessionId, id, start + i));
    try {
      if (events.length === 1) await driver.insertEvent(sessionId, events[0] as SessionEvent);
      else await driver.insertEvents(sessionId, events);
      return conflicts;
    } catch (error) {
      if (!(error instanceof EventConflictError) || error.reason !== "eventIndex") throw error;
    }
  }
}

/** Print "ready" and resolve on the parent's "go". */
async function barrier(): Promise<void> {
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => {
    let input = "";
    const onData = (chunk: Buffer) => {
      input += chunk.toString();
      if (!input.includes("go")) return;
      process.stdin.off("data", onData);
      process.stdin.pause();
      resolve();
    };
    process.stdin.on("data", onData);
  });
}

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
  const written: string[] = [];
  let conflicts = 0;
  let i = 0;
  while (i < count) {
    // Every fourth unit is a batch of (up to) three events; the rest are single inserts.
    const size = i % 4 === 3 ? Math.min(3, count - i) : 1;
    const ids = Array.from({ length: size }, (_, k) => `w${worker}-shared-${i + k}`);
    conflicts += await append(sharedSession, ids);
    written.push(...ids);
    conflicts += await append(ownSession, ids.map((id) => id.replace("shared", "own")));
    i += size;
  }
  return { ok: true, written, conflicts };
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
