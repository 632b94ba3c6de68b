import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import {
  AbortedError,
  AgentInstallError,
  AuthenticationError,
  RuntimeLostError,
  RuntimeTimeoutError,
  RuntimeUnavailableError,
  SandboxAgent,
  SessionBusyError,
  SessionDestroyedError,
  SessionExistsError,
  SessionNotFoundError,
  REPLAY_HEADER,
} from "../../src/index.js";
import { allEvents, isGapFree, promptReport, sentPromptText, STORES, unansweredRequests, type TestStore } from "../support/client.js";

for (const [storeName, makeStore] of Object.entries(STORES)) {
  describe(`client on the real sandbox-agent runtime (${storeName} store)`, () => {
    let runtime: RuntimeHandle;
    let store: TestStore;
    const clients: SandboxAgent[] = [];
    const connect = async (extra: Partial<Parameters<typeof SandboxAgent.connect>[0]> = {}) => {
      const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: store.driver, ...extra });
      clients.push(sdk);
      return sdk;
    };

    beforeAll(async () => {
      runtime = await startRuntime();
    });
    afterAll(async () => {
      await runtime?.stop();
    });
    beforeEach(async () => {
      store = makeStore();
      if (!runtime.running) await runtime.restart();
      runtime.configureAgent({ loadSession: false });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((sdk) => sdk.dispose()));
      store.cleanup();
    });

    it("creates a session, streams the reply to listeners and has every event stored when prompt() resolves", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-create", agent: "mock" });
      expect(session.agentSessionId).not.toBe("");
      const seen: number[] = [];
      session.onEvent((event) => seen.push(event.eventIndex));
      const { report, reply } = await promptReport(session, "hello there");
      expect(reply.startsWith("echo: hello there")).toBe(true);
      expect(report).toMatchObject({ turn: 1, replay: false, loaded: false });

      // Right after prompt() resolved: nothing pending, the turn's response is in the store.
      const stored = await allEvents(store.driver, "s-create");
      expect(isGapFree(stored)).toBe(true);
      expect(stored.map((e) => e.eventIndex)).toEqual(expect.arrayContaining(seen));
      const methods = stored.map((e) => ("method" in e.payload ? e.payload.method : "response"));
      expect(methods).toEqual(["session/new", "response", "session/prompt", ...Array(4).fill("session/update"), "response"]);
      expect(stored.at(-1)!.payload).toMatchObject({ result: { stopReason: "end_turn" } });
      expect(stored.every((e) => e.connectionId === session.lastConnectionId)).toBe(true);
      const record = await store.driver.getSession("s-create");
      expect(record).toMatchObject({ id: "s-create", agent: "mock", agentSessionId: session.agentSessionId });
      expect(record?.modes?.currentModeId).toBe("ask");
    });

    it("refuses a second createSession with the same id and unknown ids on resume", async () => {
      const sdk = await connect();
      await sdk.createSession({ id: "dup", agent: "mock" });
      await expect(sdk.createSession({ id: "dup", agent: "mock" })).rejects.toBeInstanceOf(SessionExistsError);
      await expect(sdk.resumeSession("nope")).rejects.toBeInstanceOf(SessionNotFoundError);
    });

    it("resumes in a new client instance on the same store, with a replay of the history", async () => {
      const first = await connect();
      const session = await first.createSession({ id: "s-resume", agent: "mock" });
      await promptReport(session, "remember the word pineapple");
      await first.dispose();

      const second = await connect();
      const resumed = await second.resumeSession("s-resume");
      expect(resumed.lastRestoration?.method).toBe("replay");
      const { report, events } = await promptReport(resumed, "what was the word?");
      expect(report.replay).toBe(true);
      const sent = events.find((e) => "method" in e.payload && e.payload.method === "session/prompt")!;
      const replayBlock = (sent.payload as { params: { prompt: { text: string }[] } }).params.prompt[0]!.text;
      expect(replayBlock.startsWith(REPLAY_HEADER)).toBe(true);
      expect(replayBlock).toContain("pineapple");
      expect(isGapFree(await allEvents(store.driver, "s-resume"))).toBe(true);
    });

    it("restores with session/load when the agent advertises it", async () => {
      runtime.configureAgent({ loadSession: true });
      const first = await connect();
      const session = await first.createSession({ id: "s-load", agent: "mock" });
      await promptReport(session, "first turn");
      await first.dispose();

      const second = await connect();
      const resumed = await second.resumeOrCreateSession({ id: "s-load", agent: "mock" });
      expect(resumed.lastRestoration?.method).toBe("load");
      const { report } = await promptReport(resumed, "second turn");
      expect(report).toMatchObject({ loaded: true, replay: false, priorTurns: 1 });
    });

    it("survives the runtime being killed and restarted under a live client, 10 rounds out of 10", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-restart", agent: "mock" });
      await promptReport(session, "round 0");
      for (let round = 1; round <= 10; round++) {
        await runtime.restart();
        const { report, reply } = await promptReport(session, `round ${round}`);
        expect(reply.startsWith(`echo: round ${round}`)).toBe(true);
        expect(report.replay).toBe(true);
        expect(session.lastRestoration?.replay?.text).toContain(`round ${round - 1}`);
      }
      expect(isGapFree(await allEvents(store.driver, "s-restart"))).toBe(true);
    });

    it("settles a prompt in flight with RuntimeLostError when the runtime dies, then recovers with context", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-midturn", agent: "mock" });
      await promptReport(session, "before the crash");
      const inFlight = session.prompt("/slow 5000").catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await runtime.kill();
      expect(await inFlight).toBeInstanceOf(RuntimeLostError);
      // The history says the prompt got no answer: a failure response is recorded for it.
      expect(unansweredRequests(await allEvents(store.driver, "s-midturn"))).toEqual([]);
      await runtime.restart();
      const { report } = await promptReport(session, "after the crash");
      expect(report.replay).toBe(true);
    });

    it("settles the turn when the agent process crashes mid-turn, and the next prompt works with context", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-agent-crash", agent: "mock" });
      await promptReport(session, "stable turn");
      await expect(session.prompt("/crash")).rejects.toBeInstanceOf(RuntimeLostError);
      expect(unansweredRequests(await allEvents(store.driver, "s-agent-crash"))).toEqual([]);
      const { report } = await promptReport(session, "after agent crash");
      expect(report).toMatchObject({ replay: true, turn: 1 });
    });

    it("rejects a prompt to an unreachable runtime with RuntimeUnavailableError, storing it as undelivered", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-down", agent: "mock" });
      await promptReport(session, "while up");
      await runtime.kill();
      await expect(session.prompt("while down")).rejects.toBeInstanceOf(RuntimeUnavailableError);
      await runtime.restart();
      const { events } = await promptReport(session, "back up");
      const replay = sentPromptText(events);
      expect(replay).toContain("while up");
      expect(replay).not.toContain("while down");
    });

    it("reports an agent whose install fails as AgentInstallError, without leaving a session behind", async () => {
      const sdk = await connect();
      const error = await sdk.createSession({ id: "s-claude", agent: "claude" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentInstallError);
      expect((error as AgentInstallError).message).toContain("install failed");
      expect(await store.driver.getSession("s-claude")).toBeUndefined();
    });

    it("rejects a wrong token with AuthenticationError at connect", async () => {
      await expect(SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: "wrong", persist: store.driver })).rejects.toBeInstanceOf(
        AuthenticationError,
      );
    });

    it("routes permission requests to the listener and sends its answer", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-perm", agent: "mock" });
      session.onPermissionRequest((request) => {
        expect(request.availableReplies).toEqual(expect.arrayContaining(["once", "reject"]));
        void session.respondPermission(request.id, "once");
      });
      const { reply } = await promptReport(session, "/permission");
      expect(reply).toContain("permission: allow");
    });

    it("answers permission requests 'cancelled' when nobody listens", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-perm-none", agent: "mock" });
      const { reply } = await promptReport(session, "/permission");
      expect(reply).toContain("permission: cancelled");
    });

    it("bounds a stalled agent with timeoutMs and an AbortSignal, and the session stays usable", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-stall", agent: "mock" });
      await expect(session.prompt("/stall", { timeoutMs: 300 })).rejects.toBeInstanceOf(RuntimeTimeoutError);
      const controller = new AbortController();
      const aborted = session.prompt("/stall", { signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      await expect(aborted).rejects.toBeInstanceOf(AbortedError);
      const { reply } = await promptReport(session, "still here");
      expect(reply.startsWith("echo: still here")).toBe(true);
    });

    it("refuses a concurrent prompt in one session and prompts after destroySession", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-busy", agent: "mock" });
      const first = session.prompt("/slow 300");
      await expect(session.prompt("second")).rejects.toBeInstanceOf(SessionBusyError);
      await first;
      await sdk.destroySession("s-busy");
      expect((await store.driver.getSession("s-busy"))?.destroyedAt).toBeTypeOf("number");
      await expect(session.prompt("after destroy")).rejects.toBeInstanceOf(SessionDestroyedError);
    });

    it("keeps eventIndex unique and gap-free with two clients writing one session in turn", async () => {
      const a = await connect();
      const session = await a.createSession({ id: "s-two", agent: "mock" });
      await promptReport(session, "from a");
      const b = await connect();
      const other = await b.resumeSession("s-two");
      await promptReport(other, "from b");
      await promptReport(session, "from a again");
      const stored = await allEvents(store.driver, "s-two");
      expect(isGapFree(stored)).toBe(true);
      expect(new Set(stored.map((e) => e.id)).size).toBe(stored.length);
    });

    it("sets a mode and stores it", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-mode", agent: "mock", mode: "code" });
      expect(session.modes?.currentModeId).toBe("code");
      expect((await store.driver.getSession("s-mode"))?.modes?.currentModeId).toBe("code");
      const { report } = await promptReport(session, "in code mode");
      expect(report.mode).toBe("code");
    });

    it("disposes promptly even with a turn in flight, settling it", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "s-dispose", agent: "mock" });
      const inFlight = session.prompt("/stall");
      const settled = inFlight.then(
        () => "resolved",
        (error: unknown) => (error as Error).name,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      await sdk.dispose();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await settled).toBe("DisposedError");
    });
  });
}
