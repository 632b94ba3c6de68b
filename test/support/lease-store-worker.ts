// A separate process for the store-level lease tests (test/unit/lease-store-processes.test.ts), run as
//   node --import tsx test/support/lease-store-worker.ts <json args>
// It opens the driver named in the args and then either
// - "race": prints "ready", waits for "go", and `rounds` times takes the session's lease
//   (polling while another holds it), appends `batches` fenced batches after the session's
//   last event, each event naming the holder and token in its connectionId, and releases;
//   prints one JSON line with what it held and any error; or
// - "stepped": prints {"ready":true} and answers each JSON command line on stdin
//   ("acquire", "write", "renew", "exit") with one JSON line, so the parent can stop and wake
//   the process between steps.
import { createInterface } from "node:readline";
import type { SessionLease } from "../../src/persist/leases.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { barrier } from "./append-loop.js";
import { openSharedStore as openStore, type SharedStoreDriver, type SharedStoreSpec } from "./shared-stores.js";

/** Which store, and its options. */
export type LeaseStoreSpec = SharedStoreSpec;

/** Arguments the parent passes as one JSON string. */
export interface LeaseStoreWorkerArgs {
  name: string;
  store: LeaseStoreSpec;
  sessionId: string;
  ttlMs: number;
  mode: "race" | "stepped";
  /** Race: leases to take one after the other. */
  rounds?: number;
  /** Race: fenced batches per lease. */
  batches?: number;
  /** Events per batch. */
  batchSize?: number;
}

/** One lease a race worker held: its token and when (process clock) it held it for sure. */
export interface HeldLease {
  token: number;
  /** Just after acquireLease resolved. */
  start: number;
  /** Just before releaseLease was called. */
  end: number;
}

/** What a race worker prints at the end. */
export interface RaceReport {
  ok: boolean;
  held: HeldLease[];
  /** acquireLease calls that found the lease held by another. */
  refusals: number;
  error?: { name: string; code?: string; message: string };
}

type Driver = SharedStoreDriver;

const args = JSON.parse(process.argv[2] ?? "{}") as LeaseStoreWorkerArgs;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describeError(error: unknown): { name: string; code?: string; message: string; current?: unknown } {
  const e = error as { name?: string; code?: string; message?: string; current?: unknown };
  return { name: String(e?.name), code: e?.code, message: String(e?.message ?? error), current: e?.current };
}

/** The next batch after the session's last event, every event naming `holder#token`. */
async function nextBatch(driver: Driver, lease: SessionLease, label: string, size: number): Promise<SessionEvent[]> {
  const [last] = await driver.listLatestEvents(lease.sessionId, 1);
  const from = last === undefined ? 0 : last.eventIndex + 1;
  return Array.from({ length: size }, (_, i) => ({
    id: `${label}-${i}`,
    eventIndex: from + i,
    sessionId: lease.sessionId,
    createdAt: Date.now(),
    connectionId: `${lease.holder}#${lease.token}`,
    sender: "client" as const,
    payload: { jsonrpc: "2.0" as const, method: "session/update", params: { by: lease.holder, token: lease.token, i } },
  }));
}

async function race(driver: Driver): Promise<RaceReport> {
  const held: HeldLease[] = [];
  let refusals = 0;
  await driver.getLease(args.sessionId); // connect (and migrate) before the race starts
  await barrier();
  try {
    for (let round = 0; round < (args.rounds ?? 5); round++) {
      let lease: SessionLease | undefined;
      while (lease === undefined) {
        const result = await driver.acquireLease(args.sessionId, args.name, args.ttlMs);
        if (result.acquired) lease = result.lease;
        else {
          refusals++;
          await sleep(1 + Math.random() * 4);
        }
      }
      const start = Date.now();
      for (let b = 0; b < (args.batches ?? 3); b++) {
        await driver.insertEventsFenced(lease, await nextBatch(driver, lease, `${args.name}-r${round}-b${b}`, args.batchSize ?? 2));
      }
      held.push({ token: lease.token, start, end: Date.now() });
      await driver.releaseLease(lease);
      await sleep(Math.random() * 3);
    }
    return { ok: true, held, refusals };
  } catch (error) {
    return { ok: false, held, refusals, error: describeError(error) };
  }
}

async function stepped(driver: Driver): Promise<void> {
  let lease: SessionLease | undefined;
  let writes = 0;
  const say = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
  await driver.getLease(args.sessionId);
  say({ ready: true });
  for await (const line of createInterface({ input: process.stdin })) {
    const { cmd } = JSON.parse(line) as { cmd: "acquire" | "write" | "renew" | "exit" };
    try {
      if (cmd === "exit") break;
      if (cmd === "acquire") {
        const result = await driver.acquireLease(args.sessionId, args.name, args.ttlMs);
        if (result.acquired) lease = result.lease;
        say(result);
      } else if (cmd === "write") {
        const batch = await nextBatch(driver, lease!, `${args.name}-w${writes++}`, args.batchSize ?? 2);
        await driver.insertEventsFenced(lease!, batch);
        say({ ok: true, ids: batch.map((e) => e.id) });
      } else if (cmd === "renew") {
        lease = await driver.renewLease(lease!, args.ttlMs);
        say({ ok: true, lease });
      }
    } catch (error) {
      say({ ok: false, error: describeError(error) });
    }
  }
}

const driver = await openStore(args.store);
try {
  if (args.mode === "race") process.stdout.write(`${JSON.stringify(await race(driver))}\n`);
  else await stepped(driver);
} finally {
  await driver.close();
}
