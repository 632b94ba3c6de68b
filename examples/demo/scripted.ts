// The demo's story with the project's scripted agent (the default `--agent scripted`): it stands
// in for an LLM and reports what context it received, so every restoration is checked by what
// the agent itself says.
import { randomUUID } from "node:crypto";
import type { DemoOptions } from "./cli.js";
import { ms, type Narrator } from "./narrate.js";
import { describeReport, promptAndShow, type PromptOutcome } from "./prompting.js";
import { check, connect, readBackStore, reopen, showReplay, type ClientOnStore, type Resources } from "./resources.js";
import { startRuntimeFor } from "./runtimes.js";
import { openStore } from "./stores.js";
import type { Session } from "../../src/index.js";

const CODE_WORD = "pineapple";

function checkReplayed(outcome: PromptOutcome, session: Session): void {
  check(outcome.report.replay, "the agent did not receive a replay of the history");
  check(session.lastRestoration?.replay?.text.includes(CODE_WORD) === true, `the replay does not carry the first turn ("${CODE_WORD}")`);
}

/** Runs the scripted agent's story; throws a StepError when a step fails. */
export async function runScripted(options: DemoOptions, narrator: Narrator, resources: Resources): Promise<void> {
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

  await readBackStore(narrator, current.driver, sessionId);

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

