import { actor, setup } from "rivetkit";
import { db } from "rivetkit/db";
import { setupTest } from "rivetkit/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RivetSessionPersistDriver, type RivetPersistState } from "../../drivers/rivet.js";
import { AGENT_STATE_CHUNKS_TABLE, AGENT_STATE_FILES_TABLE } from "../../drivers/rivet/names.js";
import { actorDatabase } from "../../drivers/rivet/context.js";
import { scriptedAgentState, startRuntime, type AgentContextReport, type RuntimeHandle } from "../../harness/index.js";
import { SandboxAgent, type Session } from "../../src/index.js";
import { promptReport } from "../support/client.js";
import { fileScopedTestContext, prepareRivetEngine, type RivetEngine } from "../support/rivet-engine.js";
import { retryUnrouted } from "../support/rivet-host.js";

// An orchestration actor whose sandbox is lost: it drives its "default" session with the
// scripted agent (which keeps a JSONL session file and serves session/load) through
// SandboxAgent with agent state snapshots, persisting through RivetSessionPersistDriver in
// SQLite mode. After each turn the client copies the session file into the actor's database;
// when the sandbox is replaced by an empty one (runtime.restartOnNewSandbox()), the next
// prompt writes the file back and restores by session/load: the agent reports the earlier
// turns loaded and no replay. Then the same across an actor sleep: the woken actor (a new
// driver and client over the stored database) restores from the stored file.

type PersistedState = RivetPersistState & { baseUrl: string; token: string; agentStateDir: string };

let wakes = 0;

const agentStateActor = actor({
  createState: (_c: unknown, input: { baseUrl: string; token: string; agentStateDir: string }): PersistedState =>
    ({ ...input }) satisfies Partial<PersistedState> as PersistedState,
  db: db(),
  createVars: async (c) => {
    wakes++;
    const persist = new RivetSessionPersistDriver(c);
    const sdk = await SandboxAgent.connect({
      baseUrl: c.state.baseUrl,
      token: c.state.token,
      persist,
      agentState: { kinds: { mock: scriptedAgentState(c.state.agentStateDir) } },
    });
    const session: Session = await sdk.resumeOrCreateSession({ id: "default", agent: "mock" });
    return { persist, sdk, session };
  },
  onSleep: async (c) => {
    await c.vars.sdk.dispose();
  },
  actions: {
    /** One turn: the agent's context report and how the session was restored last. */
    prompt: async (c, text: string) => {
      const { report } = await promptReport(c.vars.session, text);
      const restoration = c.vars.session.lastRestoration;
      return JSON.stringify({ report, restoration: restoration?.method ?? null, files: restoration?.agentState?.files ?? null });
    },
    /** Snapshots taken (and failed) by this instance's client. */
    snapshots: (c) => JSON.stringify(c.vars.sdk.stats().agentState),
    /** The session's agent state files as the driver lists them, and the rows in the actor's database. */
    stored: async (c) => {
      const files = await c.vars.persist.listAgentState!("default");
      const sql = actorDatabase(c)!;
      const [fileRows] = await sql.execute(`SELECT count(*) AS n, sum(size) AS bytes FROM ${AGENT_STATE_FILES_TABLE}`);
      const [chunkRows] = await sql.execute(`SELECT count(*) AS n, sum(length(data)) AS bytes FROM ${AGENT_STATE_CHUNKS_TABLE}`);
      return JSON.stringify({
        files,
        eventStorage: c.vars.persist.retention().eventStorage,
        fileRows: Number(fileRows?.n),
        fileBytes: Number(fileRows?.bytes),
        chunkBytes: Number(chunkRows?.bytes),
        stateHasFiles: JSON.stringify(c.state).includes("agent_state") || JSON.stringify(c.state).includes("jsonl"),
      });
    },
    nap: (c) => {
      c.sleep();
    },
  },
  // createVars connects and restores the session (a write-back and session/load after a loss).
  options: { sleepTimeout: 600_000, createVarsTimeout: 60_000 },
});

interface TurnResult {
  report: AgentContextReport;
  restoration: string | null;
  files: number | null;
}
interface Stored {
  files: { path: string; size: number; updatedAt: number }[];
  eventStorage: string;
  fileRows: number;
  fileBytes: number;
  chunkBytes: number;
  stateHasFiles: boolean;
}
interface AgentStateHandle {
  prompt(text: string): Promise<string>;
  snapshots(): Promise<string>;
  stored(): Promise<string>;
  nap(): Promise<void>;
}

describe("a Rivet actor restores its agent session by session/load after the sandbox is lost (agent state in the actor's database)", () => {
  let engine: RivetEngine;
  let runtime: RuntimeHandle;
  let client: { agentStateActor: { getOrCreate(key: string[], options: { createWithInput: unknown }): AgentStateHandle } };
  const scope = fileScopedTestContext();
  const turn = async (handle: AgentStateHandle, text: string): Promise<TurnResult> =>
    JSON.parse(await retryUnrouted(() => handle.prompt(text))) as TurnResult;
  const stored = async (handle: AgentStateHandle): Promise<Stored> => JSON.parse(await retryUnrouted(() => handle.stored())) as Stored;
  /** Wait until this actor instance's client has taken `count` snapshots (they run after each turn, in the background). */
  const snapshotsTaken = async (handle: AgentStateHandle, count: number): Promise<void> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const stats = JSON.parse(await retryUnrouted(() => handle.snapshots())) as { snapshots: number; snapshotFailures: number };
      expect(stats.snapshotFailures).toBe(0);
      if (stats.snapshots >= count) return;
      if (Date.now() > deadline) throw new Error(`fewer than ${count} snapshots after 30 s: ${JSON.stringify(stats)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    runtime = await startRuntime({ loadSession: true });
    engine = await prepareRivetEngine();
    const registry = setup({ use: { agentStateActor }, enginePort: engine.port, startServices: false, noWelcome: true });
    client = (await setupTest(scope.context as never, registry)).client as unknown as typeof client;
  }, 120_000);

  afterAll(async () => {
    await scope.dispose();
    await engine?.stop();
    await runtime?.stop();
  });

  it("copies the session file into the actor's database after each turn, and loads it back after each loss, live and after a wake", async () => {
    const a = client.agentStateActor.getOrCreate([`agent-state-${Date.now()}`], {
      createWithInput: { baseUrl: runtime.baseUrl, token: runtime.token, agentStateDir: runtime.agentStateDir },
    });
    expect((await turn(a, "first turn")).report).toMatchObject({ turn: 1, loaded: false });
    expect((await turn(a, "second turn")).report).toMatchObject({ turn: 2, loaded: false });
    await snapshotsTaken(a, 2);
    const afterTwo = await stored(a);
    // The session file and the client's manifest are in the actor's SQLite database (a row
    // per file, their bytes in chunk rows), not in the state.
    expect(afterTwo.eventStorage).toBe("sqlite");
    expect(afterTwo.files.map((f) => f.path)).toEqual(["durable-agent/manifest.json", expect.stringMatching(/^file:.*\.jsonl$/)]);
    const transcript = () => afterTwo.files[1]!;
    expect(transcript().size).toBeGreaterThan(0);
    expect(afterTwo.fileRows).toBe(2);
    expect(afterTwo.chunkBytes).toBe(afterTwo.fileBytes);
    expect(afterTwo.fileBytes).toBe(afterTwo.files.reduce((sum, f) => sum + f.size, 0));
    expect(afterTwo.stateHasFiles).toBe(false);

    // The sandbox is lost under the live actor: its agent state is gone.
    await runtime.restartOnNewSandbox();
    const third = await turn(a, "third turn");
    expect(third.restoration).toBe("load");
    expect(third.files).toBe(1);
    expect(third.report).toMatchObject({ loaded: true, priorTurns: 2, turn: 3, replay: false, replayChars: 0 });
    await snapshotsTaken(a, 3);
    expect((await stored(a)).files[1]!.size).toBeGreaterThan(transcript().size);

    // The actor sleeps, the sandbox is lost meanwhile, and the woken actor (a new driver and
    // client over the stored database) restores from the stored file in createVars.
    const wakesBefore = wakes;
    await a.nap();
    await runtime.restartOnNewSandbox();
    // `c.sleep()` only asks for the sleep: touch the actor until a woken instance answers.
    for (const giveUpAt = Date.now() + 30_000; wakes === wakesBefore && Date.now() < giveUpAt; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await retryUnrouted(() => a.snapshots());
    }
    expect(wakes).toBe(wakesBefore + 1);
    const fourth = await turn(a, "fourth turn");
    expect(fourth.restoration).toBe("load");
    expect(fourth.report).toMatchObject({ loaded: true, priorTurns: 3, turn: 4, replay: false, replayChars: 0 });
  }, 300_000);
});
