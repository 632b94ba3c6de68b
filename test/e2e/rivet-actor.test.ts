import { actor, setup } from "rivetkit";
import { db } from "rivetkit/db";
import { setupTest } from "rivetkit/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RivetSessionPersistDriver, type RivetPersistState } from "../../drivers/rivet.js";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import { REPLAY_HEADER, SandboxAgent, type Session } from "../../src/index.js";
import { allEvents, isGapFree, promptReport, sentPromptText } from "../support/client.js";
import { fileScopedTestContext, prepareRivetEngine, type RivetEngine } from "../support/rivet-engine.js";
import { retryUnrouted } from "../support/rivet-host.js";

// An orchestration actor as the issue describes it: it owns one sandbox (a sandbox-agent
// runtime, here the real binary with the scripted agent) and drives its "default" session
// through SandboxAgent with resumeOrCreateSession, persisting through
// RivetSessionPersistDriver. The actor is put to sleep and woken (createVars runs again: a
// new driver and client over the stored state and database), the runtime is restarted under
// the live actor, and a second actor for another sandbox keeps its own history.

type PersistedState = RivetPersistState & { sandboxId: string; baseUrl: string; token: string };

let wakes = 0;

const sandboxActor = actor({
  // The driver adds `_sandboxAgentPersist` when it first opens the state.
  createState: (_c: unknown, input: { sandboxId: string; baseUrl: string; token: string }): PersistedState =>
    ({ sandboxId: input.sandboxId, baseUrl: input.baseUrl, token: input.token }) satisfies Partial<PersistedState> as PersistedState,
  db: db(),
  createVars: async (c) => {
    wakes++;
    const persist = new RivetSessionPersistDriver(c);
    const sdk = await SandboxAgent.connect({ baseUrl: c.state.baseUrl, token: c.state.token, persist });
    const session: Session = await sdk.resumeOrCreateSession({ id: "default", agent: "mock" });
    return { persist, sdk, session };
  },
  onSleep: async (c) => {
    await c.vars.sdk.dispose();
  },
  actions: {
    /** One turn: the reply, the agent's context report, and how the session was restored last. */
    prompt: async (c, text: string) => {
      const { report, reply, events } = await promptReport(c.vars.session, text);
      const firstBlock = sentPromptText(events);
      return JSON.stringify({ reply, report, restoration: c.vars.session.lastRestoration?.method ?? null, firstBlock });
    },
    /** The stored history of the session: its size, whether it is gap-free, and its text. */
    history: async (c) => {
      const events = await allEvents(c.vars.persist, "default");
      return JSON.stringify({ count: events.length, gapFree: isGapFree(events), text: JSON.stringify(events.map((e) => e.payload)) });
    },
    /** Where the events are, and the raw records in the state. */
    storage: (c) => JSON.stringify({ retention: c.vars.persist.retention(), sessions: Object.keys(c.state._sandboxAgentPersist.sessions) }),
    nap: (c) => {
      c.sleep();
    },
  },
  // createVars connects and resumes the session: RivetKit's default 5 s budget is short on a busy machine.
  options: { sleepTimeout: 600_000, createVarsTimeout: 60_000 },
});

interface TurnResult {
  reply: string;
  report: { turn: number; replay: boolean; loaded: boolean };
  restoration: string | null;
  firstBlock: string;
}
interface SandboxHandle {
  prompt(text: string): Promise<string>;
  history(): Promise<string>;
  storage(): Promise<string>;
  nap(): Promise<void>;
}

describe("a Rivet actor owning a sandbox session (RivetSessionPersistDriver on the real runtime)", () => {
  let engine: RivetEngine;
  let runtime: RuntimeHandle;
  let client: { sandboxActor: { getOrCreate(key: string[], options: { createWithInput: unknown }): SandboxHandle } };
  const scope = fileScopedTestContext();
  const turn = async (handle: SandboxHandle, text: string): Promise<TurnResult> =>
    JSON.parse(await retryUnrouted(() => handle.prompt(text))) as TurnResult;
  const history = async (handle: SandboxHandle) =>
    JSON.parse(await retryUnrouted(() => handle.history())) as { count: number; gapFree: boolean; text: string };
  const sandbox = (sandboxId: string) =>
    client.sandboxActor.getOrCreate([sandboxId], { createWithInput: { sandboxId, baseUrl: runtime.baseUrl, token: runtime.token } });

  beforeAll(async () => {
    runtime = await startRuntime();
    runtime.configureAgent({ loadSession: false });
    engine = await prepareRivetEngine();
    const registry = setup({ use: { sandboxActor }, enginePort: engine.port, startServices: false, noWelcome: true });
    client = (await setupTest(scope.context as never, registry)).client as unknown as typeof client;
  }, 120_000);

  afterAll(async () => {
    await scope.dispose();
    await engine?.stop();
    await runtime?.stop();
  });

  it("resumes its session with history and context after the actor sleeps and wakes, and after the runtime restarts under it", async () => {
    const a = sandbox(`sbx-a-${Date.now()}`);
    const first = await turn(a, "remember the word pineapple");
    expect(first.reply.startsWith("echo: remember the word pineapple")).toBe(true);
    const storage = JSON.parse(await a.storage()) as { retention: { eventStorage: string }; sessions: string[] };
    expect(storage.retention.eventStorage).toBe("sqlite");
    expect(storage.sessions).toEqual(["default"]);
    const stored = await history(a);

    // Stop the actor; the next action wakes it: createVars builds a new driver and client.
    const wakesBefore = wakes;
    await a.nap();
    // `c.sleep()` only asks for the sleep: a call right after it may still reach the instance
    // going to sleep. Touch the actor until a woken instance (createVars again) answers.
    for (const giveUpAt = Date.now() + 30_000; wakes === wakesBefore && Date.now() < giveUpAt; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await a.storage();
    }
    const afterWake = await turn(a, "what was the word?");
    expect(wakes).toBe(wakesBefore + 1);
    expect(afterWake.reply.startsWith("echo: what was the word?")).toBe(true);
    // A new client on the stored history: the agent got the history replayed, pineapple included.
    expect(afterWake.restoration).toBe("replay");
    expect(afterWake.report.replay).toBe(true);
    expect(afterWake.firstBlock.startsWith(REPLAY_HEADER)).toBe(true);
    expect(afterWake.firstBlock).toContain("pineapple");
    const woken = await history(a);
    expect(woken.count).toBeGreaterThan(stored.count);
    expect(woken.gapFree).toBe(true);

    // The runtime dies and comes back under the live actor: the next turn restores again.
    await runtime.restart();
    const afterRestart = await turn(a, "and now?");
    expect(afterRestart.reply.startsWith("echo: and now?")).toBe(true);
    expect(afterRestart.report.replay).toBe(true);
    expect(afterRestart.firstBlock).toContain("pineapple");
    const final = await history(a);
    expect(final.gapFree).toBe(true);
    expect(final.text).toContain("what was the word?");
  }, 240_000);

  it("keeps a second actor's sandbox session apart: same session id, its own history", async () => {
    const stamp = Date.now();
    const a = sandbox(`sbx-c-${stamp}`);
    const b = sandbox(`sbx-d-${stamp}`);
    await turn(a, "apple for sandbox c");
    const bTurn = await turn(b, "banana for sandbox d");
    // b's session started fresh: no replay of a's history.
    expect(bTurn.report.replay).toBe(false);
    expect(bTurn.firstBlock).not.toContain("apple");
    const [ha, hb] = [await history(a), await history(b)];
    expect(ha.text).toContain("apple for sandbox c");
    expect(ha.text).not.toContain("banana");
    expect(hb.text).toContain("banana for sandbox d");
    expect(hb.text).not.toContain("apple for sandbox c");
    expect(ha.gapFree && hb.gapFree).toBe(true);
  }, 240_000);
});
