// A separate process for the multi-process lease tests, run as
//   node --import tsx test/support/lease-worker.ts <json args>
// (runtime token in DURABLE_AGENT_TEST_TOKEN). It connects a client with leasing on to the
// runtime and the store named in the args, prints {"ready":true}, then reads one JSON command
// per line on stdin and answers each with one JSON line on stdout (see `Command`).
import { createInterface } from "node:readline";
import type { AgentContextReport } from "../../harness/index.js";
import { SandboxAgent, type DurableAgentError, type Session } from "../../src/index.js";
import { promptReport } from "./client.js";
import { openSharedStore, type SharedStoreSpec } from "./shared-stores.js";

/** Which store, and its options. */
export type LeaseWorkerStore = SharedStoreSpec;

/** Arguments the parent passes as one JSON string. */
export interface LeaseWorkerArgs {
  name: string;
  store: LeaseWorkerStore;
  baseUrl: string;
  sessionId: string;
  ttlMs: number;
}

/** What the parent may ask. */
export type Command =
  | { cmd: "take"; waitMs: number }
  | { cmd: "prompt"; text: string }
  | { cmd: "startPrompt"; text: string }
  | { cmd: "close" }
  | { cmd: "loop"; rounds: number; prompts: number; waitMs: number }
  | { cmd: "errors" }
  | { cmd: "exit" };

/** One held interval of a `loop`: after the lease was taken, before it was given back. */
export interface HeldInterval {
  token: number;
  start: number;
  end: number;
  connectionId: string;
}

/** One prompt of a `loop`, with what the agent said it knew. */
export interface LoopPrompt {
  text: string;
  at: number;
  priorTurns: number;
  loaded: boolean;
  replay: boolean;
}

const args = JSON.parse(process.argv[2] ?? "{}") as LeaseWorkerArgs;

const driver = await openSharedStore(args.store);
const errors: { code: string; message: string }[] = [];
const sdk = await SandboxAgent.connect({
  baseUrl: args.baseUrl,
  token: process.env.DURABLE_AGENT_TEST_TOKEN,
  persist: driver,
  lease: { holder: args.name, ttlMs: args.ttlMs },
  onError: (error: DurableAgentError) => errors.push({ code: error.code, message: error.message }),
});
let session: Session | undefined;

const failure = (error: unknown) => ({
  ok: false,
  name: (error as Error).name,
  code: (error as { code?: string }).code,
  causeCode: ((error as Error).cause as { code?: string } | undefined)?.code,
  holder: (error as { holder?: string }).holder,
  message: (error as Error).message,
});

async function take(waitMs: number): Promise<{ token: number; at: number; connectionId: string }> {
  session = await sdk.resumeOrCreateSession({ id: args.sessionId, agent: "mock", lease: { waitMs } });
  const at = Date.now();
  const lease = await driver.getLease(args.sessionId);
  if (lease?.holder !== args.name) throw new Error(`took the session but the stored lease is ${JSON.stringify(lease)}`);
  return { token: lease.token, at, connectionId: session.lastConnectionId };
}

async function prompt(text: string): Promise<{ report: AgentContextReport; at: number }> {
  if (!session) throw new Error("no session taken");
  const { report } = await promptReport(session, text);
  return { report, at: Date.now() };
}

async function loop(command: Extract<Command, { cmd: "loop" }>): Promise<unknown> {
  const intervals: HeldInterval[] = [];
  const prompts: LoopPrompt[] = [];
  const failures: unknown[] = [];
  for (let round = 0; round < command.rounds; round++) {
    const held = await take(command.waitMs);
    for (let i = 0; i < command.prompts; i++) {
      const text = `${args.name} round ${round} prompt ${i}`;
      try {
        const { report, at } = await prompt(text);
        prompts.push({ text, at, priorTurns: report.priorTurns, loaded: report.loaded, replay: report.replay });
      } catch (error) {
        failures.push(failure(error));
      }
    }
    const end = Date.now();
    await sdk.closeSession(args.sessionId);
    intervals.push({ token: held.token, start: held.at, end, connectionId: held.connectionId });
  }
  return { ok: true, intervals, prompts, failures };
}

async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case "take":
      return { ok: true, ...(await take(command.waitMs)) };
    case "prompt":
      return { ok: true, ...(await prompt(command.text)) };
    case "startPrompt":
      // Answers at once; the outcome follows as its own line.
      void prompt(command.text).then(
        (result) => write({ event: "promptDone", ok: true, ...result }),
        (error: unknown) => write({ event: "promptDone", ...failure(error) }),
      );
      return { ok: true, started: true };
    case "close":
      await sdk.closeSession(args.sessionId);
      return { ok: true, at: Date.now() };
    case "loop":
      return loop(command);
    case "errors":
      return { ok: true, errors };
    case "exit": {
      const disposed = await sdk.dispose().then(
        () => "resolved",
        (error: unknown) => `rejected: ${(error as { code?: string }).code ?? String(error)}`,
      );
      await driver.close().catch(() => undefined);
      return { ok: true, disposed };
    }
  }
}

function write(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

write({ ready: true });
const lines = createInterface({ input: process.stdin });
// One command at a time, in order.
let chain: Promise<void> = Promise.resolve();
lines.on("line", (line) => {
  const command = JSON.parse(line) as Command;
  chain = chain.then(async () => {
    write(await run(command).catch(failure));
    if (command.cmd === "exit") process.exit(0);
  });
});
