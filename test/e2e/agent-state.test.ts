// Agent state snapshots with the scripted agent on the real sandbox-agent runtime: its session
// file is copied out after every turn through the runtime's file API, the sandbox is lost (the
// runtime restarted with every agent's state emptied), and the next prompt restores the
// session by writing the file back and `session/load`, in a live client and a fresh one. The
// same scenario without snapshots (switched off, a driver without the capability, an ACP-only
// runtime) falls back to the replay, which the agent reports.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { encryptedPersistDriver } from "../../src/encryption.js";
import { scriptedAgentState, scriptedSessionFile, startRuntime, type RuntimeHandle } from "../../harness/index.js";
import {
  AgentStateSnapshotError,
  AgentStateTooLargeError,
  InMemorySessionPersistDriver,
  redactSecrets,
  SandboxAgent,
  type DurableAgentError,
  type SandboxAgentConnectOptions,
  type Session,
  type SessionPersistDriver,
} from "../../src/index.js";
import { startAcpServer, type AcpServerHandle } from "../support/acp-server.js";
import { promptReport } from "../support/client.js";
import { MinimalDriver } from "../support/minimal-driver.js";

let runtime: RuntimeHandle;
const clients: SandboxAgent[] = [];

beforeAll(async () => {
  runtime = await startRuntime({ loadSession: true });
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose().catch(() => undefined);
  if (!runtime.running) await runtime.restart();
});

afterAll(async () => {
  await runtime?.stop();
});

type Options = Partial<SandboxAgentConnectOptions>;

async function connect(persist: SessionPersistDriver, options: Options = {}): Promise<{ sdk: SandboxAgent; errors: DurableAgentError[] }> {
  const errors: DurableAgentError[] = [];
  const sdk = await SandboxAgent.connect({
    baseUrl: runtime.baseUrl,
    token: runtime.token,
    persist,
    agentState: { kinds: { mock: scriptedAgentState(runtime.agentStateDir) } },
    onError: (error) => errors.push(error),
    ...options,
  });
  clients.push(sdk);
  return { sdk, errors };
}

/** Resolves once the client has taken `count` snapshots (they run in the background after each turn). */
async function snapshotsTaken(sdk: SandboxAgent, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (sdk.stats().agentState.snapshots + sdk.stats().agentState.snapshotFailures < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} snapshots after 10 s: ${JSON.stringify(sdk.stats().agentState)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Two turns, then the snapshots of both. */
async function twoTurns(sdk: SandboxAgent, id: string): Promise<Session> {
  const session = await sdk.createSession({ id, agent: "mock" });
  expect((await promptReport(session, "first turn")).report).toMatchObject({ turn: 1, loaded: false });
  expect((await promptReport(session, "second turn")).report).toMatchObject({ turn: 2, loaded: false });
  await snapshotsTaken(sdk, 2);
  return session;
}

describe("agent state snapshots with the scripted agent on sandbox-agent", () => {
  it("copies the session file after each turn, the second time only its new bytes", async () => {
    const store = new InMemorySessionPersistDriver();
    const { sdk, errors } = await connect(store);
    const session = await sdk.createSession({ id: "snap-bytes", agent: "mock" });
    await promptReport(session, "first turn");
    await snapshotsTaken(sdk, 1);
    const file = scriptedSessionFile(runtime.agentStateDir, session.agentSessionId);
    const afterFirst = readFileSync(file);
    const first = sdk.stats().agentState;
    expect(first).toMatchObject({ enabled: true, snapshots: 1, bytesRead: afterFirst.length, bytesStored: afterFirst.length });

    await promptReport(session, "second turn");
    await snapshotsTaken(sdk, 2);
    const afterSecond = readFileSync(file);
    const second = sdk.stats().agentState;
    // The whole file was read again (the file API has no ranged read), but only its new tail stored.
    expect(afterSecond.length).toBeGreaterThan(afterFirst.length);
    expect(second.bytesRead - first.bytesRead).toBe(afterSecond.length);
    expect(second.bytesStored - first.bytesStored).toBe(afterSecond.length - afterFirst.length);

    const stored = await store.readAgentState!(session.id, `file:${file}`);
    expect(Buffer.from(stored!).equals(afterSecond)).toBe(true);
    expect(errors).toEqual([]);
  });

  it("live client: after the sandbox is lost, the next prompt restores by session/load from the snapshot, settings re-applied", async () => {
    const { sdk, errors } = await connect(new InMemorySessionPersistDriver());
    const session = await twoTurns(sdk, "snap-live");
    await session.setMode("code");
    await session.setModel("smart");
    await runtime.restartOnNewSandbox();

    const { report } = await promptReport(session, "third turn");
    // The agent loaded both earlier turns itself: no replay text reached it; mode and model set again.
    expect(report).toMatchObject({ loaded: true, priorTurns: 2, turn: 3, replay: false, replayChars: 0, mode: "code", model: "smart" });
    expect(session.lastRestoration?.settings?.reapplied).toEqual(expect.arrayContaining(["mode=code", "model=smart"]));
    expect(session.lastRestoration).toMatchObject({ method: "load", agentState: { files: 1 } });
    expect(sdk.stats().agentState.writeBacks).toBe(1);
    expect(errors).toEqual([]);
  });

  it("fresh client on the same SQLite file: resumeSession restores from the snapshot, and again after a further loss", async () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-state-"));
    const filename = join(dir, "sessions.db");
    const stores = [new SQLiteSessionPersistDriver({ filename })];
    onTestFinished(async () => {
      for (const store of stores) await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });
    const first = await connect(stores[0]!);
    await twoTurns(first.sdk, "snap-fresh");
    await first.sdk.dispose();
    await runtime.restartOnNewSandbox();

    // Another process, say: a new driver on the same file.
    stores.push(new SQLiteSessionPersistDriver({ filename }));
    const second = await connect(stores[1]!);
    const session = await second.sdk.resumeSession("snap-fresh");
    expect(session.lastRestoration).toMatchObject({ method: "load", agentState: { files: 1 } });
    expect((await promptReport(session, "third turn")).report).toMatchObject({ loaded: true, priorTurns: 2, replay: false });
    await snapshotsTaken(second.sdk, 1);

    // Lost once more: the snapshot now holds the third turn too.
    await runtime.restartOnNewSandbox();
    expect((await promptReport(session, "fourth turn")).report).toMatchObject({ loaded: true, priorTurns: 3, replay: false });
    expect(session.lastRestoration).toMatchObject({ method: "load", agentState: { files: 1 } });
    expect([...first.errors, ...second.errors]).toEqual([]);
  });

  it("through encryptedPersistDriver: the snapshot is stored encrypted, and a fresh client restores by session/load from it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-state-encrypted-"));
    const filename = join(dir, "sessions.db");
    const keys = [{ id: "k1", key: crypto.getRandomValues(new Uint8Array(32)) }];
    const stores = [new SQLiteSessionPersistDriver({ filename })];
    onTestFinished(async () => {
      for (const store of stores) await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });
    const secret = "ZEBRA-PLAINTEXT-MARKER-5521";
    const first = await connect(encryptedPersistDriver(stores[0]!, { keys }));
    const session = await first.sdk.createSession({ id: "snap-encrypted", agent: "mock" });
    await promptReport(session, `the code word is ${secret}`);
    await promptReport(session, "second turn");
    await snapshotsTaken(first.sdk, 2);
    const file = scriptedSessionFile(runtime.agentStateDir, session.agentSessionId);
    expect(readFileSync(file, "utf8")).toContain(secret);
    expect(first.sdk.stats().agentState).toMatchObject({ enabled: true, snapshots: 2, snapshotFailures: 0 });
    await first.sdk.dispose();
    await stores[0]!.close();
    // Neither the events nor the agent's own file are in clear in the database (or its WAL).
    const raw = readdirSync(dir).map((name) => readFileSync(join(dir, name)).toString("latin1")).join("");
    expect(raw).not.toContain(secret);
    await runtime.restartOnNewSandbox();

    stores.push(new SQLiteSessionPersistDriver({ filename }));
    const second = await connect(encryptedPersistDriver(stores[1]!, { keys }));
    const resumed = await second.sdk.resumeSession("snap-encrypted");
    expect(resumed.lastRestoration).toMatchObject({ method: "load", agentState: { files: 1 } });
    expect((await promptReport(resumed, "third turn")).report).toMatchObject({ loaded: true, priorTurns: 2, replay: false });
    expect(readFileSync(file, "utf8")).toContain(secret);
    expect([...first.errors, ...second.errors]).toEqual([]);
  });

  it("the same loss without snapshots (agentState: false) is restored by replay", async () => {
    const { sdk, errors } = await connect(new InMemorySessionPersistDriver(), { agentState: false });
    expect(sdk.stats().agentState).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("switched off") });
    const session = await sdk.createSession({ id: "snap-off", agent: "mock" });
    await promptReport(session, "first turn");
    await promptReport(session, "second turn");
    await runtime.restartOnNewSandbox();
    const { report } = await promptReport(session, "third turn");
    expect(report).toMatchObject({ loaded: false, priorTurns: 0, replay: true });
    expect(session.lastRestoration?.method).toBe("replay");
    expect(errors).toEqual([]);
  });

  it("with a redact hook: snapshots are off (the agent's files cannot be redacted) unless agentState.unredacted is set", async () => {
    const redacting = await connect(new InMemorySessionPersistDriver(), { redact: redactSecrets() });
    expect(redacting.sdk.stats().agentState).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("redact is set") });
    const session = await redacting.sdk.createSession({ id: "snap-redacting", agent: "mock" });
    await promptReport(session, "first turn");
    await runtime.restartOnNewSandbox();
    expect((await promptReport(session, "second turn")).report).toMatchObject({ loaded: false, replay: true });

    const store = new InMemorySessionPersistDriver();
    const agentState = { kinds: { mock: scriptedAgentState(runtime.agentStateDir) }, unredacted: true };
    const optedIn = await connect(store, { redact: redactSecrets(), agentState });
    expect(optedIn.sdk.stats().agentState.enabled).toBe(true);
    const kept = await optedIn.sdk.createSession({ id: "snap-unredacted", agent: "mock" });
    await promptReport(kept, "first turn");
    await snapshotsTaken(optedIn.sdk, 1);
    expect(await store.listAgentState!("snap-unredacted")).not.toEqual([]);
    expect([...redacting.errors, ...optedIn.errors]).toEqual([]);
  });

  it("a driver without the capability: snapshots are off (said in stats, no error) and the loss is replayed", async () => {
    const { sdk, errors } = await connect(new MinimalDriver());
    expect(sdk.stats().agentState).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("capability") });
    const session = await sdk.createSession({ id: "snap-minimal", agent: "mock" });
    await promptReport(session, "first turn");
    await runtime.restartOnNewSandbox();
    expect((await promptReport(session, "second turn")).report).toMatchObject({ loaded: false, replay: true });
    expect(session.lastRestoration?.method).toBe("replay");
    expect(errors).toEqual([]);
  });

  it("a file over the cap is not kept: the stored copy is dropped, the error reported, the loss replayed", async () => {
    const store = new InMemorySessionPersistDriver();
    const { sdk, errors } = await connect(store, { agentState: { kinds: { mock: scriptedAgentState(runtime.agentStateDir) }, maxFileBytes: 600 } });
    const session = await sdk.createSession({ id: "snap-cap", agent: "mock" });
    await promptReport(session, "short");
    await snapshotsTaken(sdk, 1);
    expect(sdk.stats().agentState.snapshots).toBe(1);
    await promptReport(session, "x".repeat(700));
    await snapshotsTaken(sdk, 2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AgentStateTooLargeError);
    expect(errors[0]).toMatchObject({ code: "agent_state.too_large", limit: 600 });
    expect(await store.listAgentState!(session.id)).toEqual([]);

    await runtime.restartOnNewSandbox();
    expect((await promptReport(session, "after the loss")).report).toMatchObject({ loaded: false, replay: true });
  });

  it("a snapshot the store refuses never fails the prompt: it is reported, typed", async () => {
    const store = new InMemorySessionPersistDriver();
    // The memory driver, but every agent state write fails.
    const refusing = new Proxy(store, {
      get(target, name) {
        if (name === "appendAgentState") return () => Promise.reject(new Error("disk full"));
        const value: unknown = Reflect.get(target, name, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { sdk, errors } = await connect(refusing);
    const session = await sdk.createSession({ id: "snap-refused", agent: "mock" });
    const { response } = await promptReport(session, "first turn");
    expect(response.stopReason).toBe("end_turn");
    await snapshotsTaken(sdk, 1);
    expect(sdk.stats().agentState).toMatchObject({ snapshots: 0, snapshotFailures: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AgentStateSnapshotError);
    expect(errors[0]?.message).toContain("disk full");
  });
});

describe("agent state snapshots over an ACP-only runtime", () => {
  let server: AcpServerHandle;

  beforeAll(async () => {
    server = await startAcpServer({ loadSession: true });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("has no file API: snapshots are off (said in stats) and a lost sandbox is replayed", async () => {
    const errors: DurableAgentError[] = [];
    const sdk = await SandboxAgent.connect({
      baseUrl: server.wsUrl,
      transport: "acp-websocket",
      token: server.token,
      persist: new InMemorySessionPersistDriver(),
      agentState: { kinds: { scripted: scriptedAgentState(server.stateDir) } },
      onError: (error) => errors.push(error),
    });
    clients.push(sdk);
    expect(sdk.stats().agentState).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("no file API") });
    const session = await sdk.createSession({ id: "snap-acp", agent: "scripted" });
    await promptReport(session, "first turn");
    await server.kill();
    rmSync(`${server.stateDir}/sessions`, { recursive: true, force: true });
    await server.restart({ downtimeMs: 0 });
    const { report } = await promptReport(session, "second turn");
    expect(report).toMatchObject({ loaded: false, replay: true });
    expect(session.lastRestoration?.method).toBe("replay");
    expect(errors).toEqual([]);
  });
});
