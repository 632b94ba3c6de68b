// `npm run demo`: a session that survives its runtime. Starts a real runtime with a scripted
// agent, records a session into a store, kills the runtime under a live client, resumes from a
// fresh client (by replay, then by session/load), and shows what was restored and stored.
//
// The demo imports the SDK from ../../src so that it runs from a clean clone without a build;
// an app imports the same names from "durable-agent" and "durable-agent/sqlite".
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { SandboxAgent, type Session, type SessionPersistDriver } from "../../src/index.js";
import { helpText, parseCommandLine, UsageError, type DemoOptions } from "./cli.js";
import { describeError, ms, Narrator, StepError } from "./narrate.js";
import { countSessions, describeReport, promptAndShow, storedEvents, type PromptOutcome } from "./prompting.js";
import { startRuntimeFor, type DemoRuntime } from "./runtimes.js";
import { openStore, type DemoStore } from "./stores.js";

const CODE_WORD = "pineapple";

/** A promise the demo relies on did not hold. */
class CheckFailedError extends Error {
  override readonly name = "CheckFailedError";
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new CheckFailedError(message);
}

/** Everything the demo started, stopped in reverse order by {@link Resources.release}. */
class Resources {
  runtime: DemoRuntime | undefined;
  store: DemoStore | undefined;
  readonly clients = new Set<SandboxAgent>();
  private releasing: Promise<void> | undefined;

  /** Disposes clients, stops the runtime, closes the store (removing a temp file). Idempotent. */
  release(): Promise<void> {
    this.releasing ??= (async () => {
      await Promise.allSettled([...this.clients].map((client) => client.dispose()));
      await Promise.allSettled([this.runtime?.stop(), this.store?.close()]);
    })();
    return this.releasing;
  }
}

async function connect(runtime: DemoRuntime, persist: SessionPersistDriver, resources: Resources): Promise<SandboxAgent> {
  const client = await SandboxAgent.connect({
    baseUrl: runtime.baseUrl,
    token: runtime.token,
    persist,
    healthTimeoutMs: 10_000,
    ...(runtime.transport ? { transport: runtime.transport() } : {}),
  });
  resources.clients.add(client);
  return client;
}

async function closeClient(client: SandboxAgent, driver: SessionPersistDriver, resources: Resources): Promise<void> {
  await client.dispose();
  resources.clients.delete(client);
  await resources.store?.release(driver);
}

interface ClientOnStore {
  client: SandboxAgent;
  driver: SessionPersistDriver;
}

/** Disposes `previous` (closing its driver), then a new client on a new driver resumes the session; narrates the timings. */
async function reopen(
  narrator: Narrator,
  runtime: DemoRuntime,
  resources: Resources,
  previous: ClientOnStore,
  sessionId: string,
  replace: (next: ClientOnStore) => void,
): Promise<{ resumed: Session; method: string | undefined }> {
  const store = resources.store!;
  let t = performance.now();
  await closeClient(previous.client, previous.driver, resources);
  const disposeMs = performance.now() - t;
  t = performance.now();
  const driver = await store.open();
  const client = await connect(runtime, driver, resources);
  replace({ client, driver });
  const connectMs = performance.now() - t;
  t = performance.now();
  const resumed = await client.resumeSession(sessionId);
  const resumeMs = performance.now() - t;
  narrator.detail(
    `previous client disposed${store.durable ? " and its driver closed" : ""} (${ms(disposeMs)}); ` +
      `${store.durable ? "a new driver on the same store" : "the same in-memory driver"} + a new client connected (${ms(connectMs)}); ` +
      `resumeSession took ${ms(resumeMs)} (including the agent process's start)`,
  );
  return { resumed, method: resumed.lastRestoration?.method };
}

function showReplay(narrator: Narrator, session: Session): void {
  const replay = session.lastRestoration?.replay;
  if (!replay) return;
  narrator.detail(
    `replayed transcript sent ahead of the prompt (${replay.entries.length} entries, ${replay.text.length} chars` +
      `${replay.omittedEntries > 0 ? `, ${replay.omittedEntries} older omitted` : ""}):`,
  );
  narrator.quote(replay.text);
}

function checkReplayed(outcome: PromptOutcome, session: Session): void {
  check(outcome.report.replay, "the agent did not receive a replay of the history");
  check(session.lastRestoration?.replay?.text.includes(CODE_WORD) === true, `the replay does not carry the first turn ("${CODE_WORD}")`);
}

async function run(options: DemoOptions, narrator: Narrator, resources: Resources): Promise<void> {
  const sessionId = `demo-${randomUUID().slice(0, 8)}`;
  narrator.line(narrator.style("bold", "durable-agent demo: a session that survives its runtime"));

  const runtime = await narrator.step("Start the runtime with the scripted agent", async () => {
    resources.runtime = await startRuntimeFor(options.runtime);
    narrator.detail(resources.runtime.describe());
    return resources.runtime;
  });

  const { store, client, driver, session } = await narrator.step(`Open the store, connect a client, create session "${sessionId}"`, async () => {
    const store = await openStore(options.store, options.keep);
    resources.store = store;
    narrator.detail(`store: ${store.label}`);
    const driver = await store.open();
    const client = await connect(runtime, driver, resources);
    const session = await client.createSession({ id: sessionId, agent: runtime.agent });
    narrator.detail(`agent "${runtime.agent}", agent session ${session.agentSessionId}, restoration method: ${session.lastRestoration?.method}`);
    return { store, client, driver, session };
  });

  await narrator.step("Prompt (the reply streams in through session.onEvent)", async () => {
    const first = await promptAndShow(narrator, session, `Remember the code word: ${CODE_WORD}.`);
    narrator.detail(`agent's report: ${describeReport(first.report)}`);
    check(first.report.turn === 1 && !first.report.replay, "the first turn should reach a fresh agent session without replay");
  });

  await narrator.step("Kill the runtime (SIGKILL, no goodbye) and start it again", async () => {
    const before = runtime.describe();
    await runtime.kill();
    narrator.detail(`killed: ${before}`);
    await runtime.start();
    narrator.detail(`started: ${runtime.describe()}`);
    narrator.detail("every agent session it held is gone; the client has not been told anything");
  });

  await narrator.step("Prompt again under the SAME client (it detects the loss and restores the session)", async () => {
    const oldAgentSession = session.agentSessionId;
    const outcome = await promptAndShow(narrator, session, "What was the code word?");
    const method = session.lastRestoration?.method;
    narrator.detail(`restored after the runtime restart: ${method} (agent session ${oldAgentSession} -> ${session.agentSessionId})`);
    showReplay(narrator, session);
    narrator.detail(`agent's report: ${describeReport(outcome.report)}`);
    check(method === "replay", `expected restoration by replay, got ${method}`);
    checkReplayed(outcome, session);
  });

  let current: ClientOnStore = { client, driver };
  await narrator.step("Open a FRESH client on the same store and resume the session (as after an app restart)", async () => {
    const { resumed, method } = await reopen(narrator, runtime, resources, current, sessionId, (next) => (current = next));
    narrator.detail(`resumed in a fresh client: ${method} (the agent does not offer session/load, so the next prompt carries a replay)`);
    check(method === "replay", `expected resume by replay, got ${method}`);
    const outcome = await promptAndShow(narrator, resumed, "Still there after the app restarted?");
    showReplay(narrator, resumed);
    narrator.detail(`agent's report: ${describeReport(outcome.report)}`);
    checkReplayed(outcome, resumed);
  });

  if (options.loadRound) {
    await narrator.step("Turn on session/load in the agent, resume from another fresh client", async () => {
      await runtime.enableLoadSession();
      narrator.detail("the scripted agent now advertises loadSession (read by the next agent process)");
      const { resumed, method } = await reopen(narrator, runtime, resources, current, sessionId, (next) => (current = next));
      narrator.detail(`resumed in a fresh client: ${method} (the agent reloads its own history; no replay is sent)`);
      check(method === "load", `expected resume by session/load, got ${method}`);
      const outcome = await promptAndShow(narrator, resumed, "And after session/load?");
      narrator.detail(`agent's report: ${describeReport(outcome.report)}`);
      check(outcome.report.loaded && !outcome.report.replay, "the agent should have loaded the session, without a replay");
    });
  }

  await narrator.step("Read back what the store holds", async () => {
    const events = await storedEvents(current.driver, sessionId);
    const byConnection = new Map<string, number>();
    for (const event of events) byConnection.set(event.connectionId, (byConnection.get(event.connectionId) ?? 0) + 1);
    const gapFree = events.every((event, i) => event.eventIndex === i);
    narrator.detail(`session ${sessionId}: ${events.length} events stored, across ${byConnection.size} runtime connections`);
    for (const [connectionId, count] of byConnection) narrator.detail(`  connection ${connectionId}: ${count} events`);
    narrator.detail(
      gapFree
        ? `eventIndex 0..${events.length - 1}: gap-free and in order, across every restart and client`
        : `eventIndex NOT gap-free: ${events.map((e) => e.eventIndex).join(",")}`,
    );
    check(gapFree && events.length > 0, "stored eventIndex values should be 0..n-1");
    const sessions = await countSessions(current.driver);
    if (sessions > 1) narrator.detail(`the store holds ${sessions} sessions in all (earlier runs included)`);
  });

  narrator.line();
  narrator.line(
    narrator.style(
      "green",
      `Demo complete in ${ms(narrator.elapsed())}: the session survived a runtime restart and fresh clients, ` +
        "with every envelope recorded.",
    ),
  );
  if (options.keep && store.label.includes("temporary")) narrator.line(`The store was kept: ${store.label.replace(/ \(.*$/, "")}`);
}

async function main(): Promise<number> {
  let options: DemoOptions | "help";
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`demo: ${error.message}\n\n${helpText()}\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const narrator = new Narrator();
  const resources = new Resources();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === "SIGINT" ? 130 : 143;
    if (interrupted) process.exit(code);
    interrupted = true;
    narrator.line();
    narrator.line(`demo: ${signal} received, stopping what the demo started`);
    const deadline = setTimeout(() => process.exit(code), 5_000);
    void resources.release().finally(() => {
      clearTimeout(deadline);
      process.exit(code);
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await run(options, narrator, resources);
    return 0;
  } catch (error) {
    if (interrupted) return new Promise(() => undefined); // the signal handler exits
    narrator.line();
    const step = error instanceof StepError ? error : undefined;
    const cause = step ? step.cause : error;
    narrator.line(narrator.style("red", `demo failed${step ? ` at step ${step.step} (${step.title})` : ""}: ${describeError(cause)}`));
    if (!(cause instanceof CheckFailedError) && cause instanceof Error && cause.stack && process.env.DEMO_DEBUG === "1") {
      narrator.line(cause.stack);
    }
    return 1;
  } finally {
    if (!interrupted) await resources.release();
  }
}

const code = await main();
// Exit explicitly: nothing the demo started is left, and a lingering socket must not keep it alive.
process.exit(code);
