// A separate process for test/unit/agent-state-processes.test.ts, run as
//   node --import tsx test/support/agent-state-worker.ts <json args>
// It opens the driver named in the args, prints "ready", waits for "go", then either
// - "append": appends `lines` lines ("<name> <n> <padding>\n") to one agent state file, each
//   at the size it last saw, taking the stored size from AgentStateOffsetError and retrying
//   when another process appended first; or
// - "read": reads the file `reads` times while the others write, checking each read is a run
//   of whole lines (never half an append);
// and prints one JSON line with what it did, or the error.
import { lineOf, wholeLines } from "./agent-state-lines.js";
import { barrier } from "./append-loop.js";
import { openSharedStore as open, type SharedStoreDriver, type SharedStoreSpec } from "./shared-stores.js";

/** Which store, and its options. */
export type AgentStateStoreSpec = SharedStoreSpec;

/** Arguments the parent passes as one JSON string. */
export interface AgentStateWorkerArgs {
  name: string;
  store: AgentStateStoreSpec;
  sessionId: string;
  path: string;
  mode: "append" | "read";
  /** Append: how many lines to append. */
  lines?: number;
  /** Read: how many reads to make. */
  reads?: number;
}

/** What a worker prints at the end. */
export interface AgentStateWorkerReport {
  ok: boolean;
  error?: string;
  /** Append: lines appended. */
  appended?: number;
  /** Append: appends refused because another process appended first. */
  refused?: number;
  /** Read: reads made, and how many saw a non-empty file. */
  reads?: number;
  nonEmpty?: number;
}

type Driver = SharedStoreDriver;

/** The stored size of the file: where a writer's first append goes. */
async function storedSize(driver: Driver, args: AgentStateWorkerArgs): Promise<number> {
  return (await driver.listAgentState(args.sessionId)).find((f) => f.path === args.path)?.size ?? 0;
}

async function append(driver: Driver, args: AgentStateWorkerArgs, startAt: number): Promise<AgentStateWorkerReport> {
  const encoder = new TextEncoder();
  let offset = startAt;
  let refused = 0;
  for (let n = 0; n < (args.lines ?? 0); n++) {
    const data = encoder.encode(lineOf(args.name, n));
    for (;;) {
      try {
        await driver.appendAgentState(args.sessionId, args.path, offset, data);
        offset += data.byteLength;
        break;
      } catch (error) {
        const e = error as Error & { storedSize?: number };
        if (e.name !== "AgentStateOffsetError" || e.storedSize === undefined) throw error;
        refused++;
        offset = e.storedSize;
      }
    }
  }
  return { ok: true, appended: args.lines ?? 0, refused };
}

async function read(driver: Driver, args: AgentStateWorkerArgs): Promise<AgentStateWorkerReport> {
  const decoder = new TextDecoder();
  let nonEmpty = 0;
  for (let i = 0; i < (args.reads ?? 0); i++) {
    const bytes = await driver.readAgentState(args.sessionId, args.path);
    const text = bytes === undefined ? "" : decoder.decode(bytes);
    if (!wholeLines(text)) return { ok: false, error: `read ${i} saw a partial append (${text.length} chars, ends ${JSON.stringify(text.slice(-20))})` };
    if (text !== "") nonEmpty++;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return { ok: true, reads: args.reads ?? 0, nonEmpty };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? "{}") as AgentStateWorkerArgs;
  const driver = await open(args.store);
  let report: AgentStateWorkerReport;
  try {
    // Writers read the size before the barrier, so their first appends all aim at one offset
    // and really race (reading it after "go" let a slow starter see the others' lines first).
    const startAt = args.mode === "append" ? await storedSize(driver, args) : 0;
    await barrier();
    report = args.mode === "append" ? await append(driver, args, startAt) : await read(driver, args);
  } catch (error) {
    report = { ok: false, error: String((error as Error)?.stack ?? error) };
  } finally {
    await driver.close();
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

void main();
