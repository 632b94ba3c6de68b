import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import {
  SandboxAgent,
  SandboxAgentError,
  SessionSettingUnavailableError,
  UnsupportedSessionConfigOptionError,
  UnsupportedSessionValueError,
  type DurableAgentError,
  type Session,
  type SessionEvent,
} from "../../src/index.js";
import { allEvents, promptReport, STORES, type TestStore } from "../support/client.js";

// What the user set on a session (mode, model, thought level) is what the agent has after every
// restoration: live client or fresh one, session/load or replay. The scripted agent forgets
// settings on purpose when it loads a session, and a new agent session starts from defaults,
// so only the client's re-application brings them back; the agent's own report is the proof.

const methodsOf = (events: readonly SessionEvent[]) => events.map((e) => (e.payload as { method?: string }).method).filter(Boolean);

for (const [storeName, makeStore] of Object.entries(STORES)) {
  describe(`session settings survive restoration (${storeName} store)`, () => {
    let runtime: RuntimeHandle;
    let store: TestStore;
    const clients: SandboxAgent[] = [];

    const connect = async () => {
      const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: store.driver });
      clients.push(sdk);
      return sdk;
    };
    const settingsReported = async (session: Session) => {
      const { report } = await promptReport(session, "which settings?");
      return { mode: report.mode, model: report.model, thoughtLevel: report.thoughtLevel, replay: report.replay, loaded: report.loaded };
    };
    const chosen = { mode: "code", model: "smart", thoughtLevel: "high" };

    beforeAll(async () => {
      runtime = await startRuntime();
    });
    afterAll(async () => {
      await runtime?.stop();
    });
    beforeEach(() => {
      store = makeStore();
      runtime.configureAgent({ loadSession: false });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((sdk) => sdk.dispose().catch(() => undefined)));
      store.cleanup();
    });

    it("createSession applies mode, model and thought level; the record and the agent agree", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "set", agent: "mock", ...chosen });
      expect(await settingsReported(session)).toMatchObject(chosen);
      const record = await store.driver.getSession("set");
      expect(record?.modes?.currentModeId).toBe("code");
      expect(record?.configOptions?.find((o) => o.id === "model")?.currentValue).toBe("smart");
      expect(record?.configOptions?.find((o) => o.id === "thought_level")?.currentValue).toBe("high");
      expect(await session.getModes()).toMatchObject({ currentModeId: "code" });
      expect((await session.getConfigOptions()).map((o) => [o.id, o.currentValue])).toEqual([
        ["model", "smart"],
        ["thought_level", "high"],
      ]);
    });

    for (const path of ["replay", "load"] as const) {
      it(`a runtime restart under a live client (${path}): the agent has the same settings, and says so`, async () => {
        runtime.configureAgent({ loadSession: path === "load" });
        const sdk = await connect();
        const session = await sdk.createSession({ id: `live-${path}`, agent: "mock", ...chosen });
        await runtime.restart();
        expect(await settingsReported(session)).toMatchObject({ ...chosen, ...(path === "load" ? { loaded: true } : { replay: true }) });
        expect(session.lastRestoration?.method).toBe(path);
        expect(session.lastRestoration?.settings?.reapplied.sort()).toEqual(["mode=code", "model=smart", "thought_level=high"]);
        expect(session.lastRestoration?.settings?.unavailable).toEqual([]);
        const record = await store.driver.getSession(`live-${path}`);
        expect(record?.modes?.currentModeId).toBe("code");
        // The re-application is recorded like every other envelope.
        const methods = methodsOf(await allEvents(store.driver, `live-${path}`));
        expect(methods.filter((m) => m === "session/set_mode")).toHaveLength(2);
        expect(methods.filter((m) => m === "session/set_config_option")).toHaveLength(4);
      });

      it(`a fresh client resuming the session (${path}): the same settings`, async () => {
        runtime.configureAgent({ loadSession: path === "load" });
        const first = await connect();
        await first.createSession({ id: `fresh-${path}`, agent: "mock", ...chosen });
        await first.dispose();
        const second = await connect();
        const session = await second.resumeSession(`fresh-${path}`);
        expect(session.lastRestoration?.method).toBe(path);
        expect(await settingsReported(session)).toMatchObject(chosen);
      });
    }

    it("a mode the agent switched to itself is followed by the record and restored too", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "switched", agent: "mock" });
      await promptReport(session, "/switch-mode code");
      expect(session.modes?.currentModeId).toBe("code");
      await runtime.restart();
      expect((await settingsReported(session)).mode).toBe("code");
    });

    it("a setting the agent no longer offers: the session goes on, onError says what was lost, the record tells the truth", async () => {
      const sdk = await connect();
      await sdk.createSession({ id: "gone", agent: "mock" });
      await sdk.dispose();
      // As if written when the agent offered a mode and a model it no longer has.
      const record = (await store.driver.getSession("gone"))!;
      await store.driver.updateSession({
        ...record,
        modes: { currentModeId: "architect", availableModes: [{ id: "ask", name: "Ask" }, { id: "architect", name: "Architect" }] },
        configOptions: record.configOptions!.map((o) => (o.id === "model" ? ({ ...o, currentValue: "huge" } as typeof o) : o)),
      });
      const second = await connect();
      const errors: DurableAgentError[] = [];
      const unsubscribe = second.onSessionEvent("gone", () => undefined);
      const session = (await second.getSession("gone"))!;
      session.onError((error) => errors.push(error));
      await session.getModes(); // binds: the restoration runs here
      unsubscribe();
      const lost = errors.find((e) => e instanceof SessionSettingUnavailableError) as SessionSettingUnavailableError | undefined;
      expect(lost?.code).toBe("session.setting_unavailable");
      expect(lost?.settings.map((s) => [s.setting, s.value])).toEqual([
        ["mode", "architect"],
        ["model", "huge"],
      ]);
      expect(session.lastRestoration?.settings?.unavailable).toHaveLength(2);
      expect(await settingsReported(session)).toMatchObject({ mode: "ask", model: "fast" });
      const stored = await store.driver.getSession("gone");
      expect(stored?.modes?.currentModeId).toBe("ask");
      expect(stored?.configOptions?.find((o) => o.id === "model")?.currentValue).toBe("fast");
    });

    it("refuses unknown modes, options and values at once, sending nothing", async () => {
      const sdk = await connect();
      const session = await sdk.createSession({ id: "refuse", agent: "mock" });
      const before = (await allEvents(store.driver, "refuse")).length;
      // The fastest of three runs: what the check costs, not a busy machine's scheduling.
      const timed = async (call: () => Promise<unknown>) => {
        let error: unknown;
        let ms = Number.POSITIVE_INFINITY;
        for (let i = 0; i < 3; i++) {
          const started = performance.now();
          const caught = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          ms = Math.min(ms, performance.now() - started);
          error ??= caught;
        }
        return { error, ms };
      };
      const mode = await timed(() => session.setMode("architect"));
      expect(mode.error).toBeInstanceOf(UnsupportedSessionValueError);
      expect(mode.error).toMatchObject({ category: "mode", requestedValue: "architect", allowedValues: ["ask", "code"] });
      const option = await timed(() => session.setConfigOption("temperature", "hot"));
      expect(option.error).toBeInstanceOf(UnsupportedSessionConfigOptionError);
      expect(option.error).toMatchObject({ availableConfigIds: ["model", "thought_level"] });
      const value = await timed(() => session.setModel("huge"));
      expect(value.error).toBeInstanceOf(UnsupportedSessionValueError);
      expect(value.error).toMatchObject({ category: "model", allowedValues: ["fast", "smart"] });
      for (const { ms } of [mode, option, value]) expect(ms).toBeLessThan(10);
      await session.recorder.flush();
      expect((await allEvents(store.driver, "refuse")).length).toBe(before);
    });

    it("createSession with a mode the agent does not offer fails with a typed error and leaves nothing stored", async () => {
      const sdk = await connect();
      await expect(sdk.createSession({ id: "bad-mode", agent: "mock", mode: "architect" })).rejects.toBeInstanceOf(UnsupportedSessionValueError);
      if (typeof (store.driver as { deleteSession?: unknown }).deleteSession === "function") {
        expect(await store.driver.getSession("bad-mode")).toBeUndefined();
        expect((await sdk.createSession({ id: "bad-mode", agent: "mock", mode: "code" })).modes?.currentModeId).toBe("code");
      }
    });

    it("resumeOrCreateSession re-applies what it is asked for on resume", async () => {
      const sdk = await connect();
      await sdk.resumeOrCreateSession({ id: "roc", agent: "mock" });
      const again = await sdk.resumeOrCreateSession({ id: "roc", agent: "mock", mode: "code", thoughtLevel: "medium" });
      expect(await settingsReported(again)).toMatchObject({ mode: "code", model: "fast", thoughtLevel: "medium" });
    });

    it("the reference client's session and runtime calls round-trip", async () => {
      const sdk = await connect();
      const seenById: SessionEvent[] = [];
      sdk.onSessionEvent("api", (event) => seenById.push(event)); // before the session exists
      const session = await sdk.createSession({ id: "api", agent: "mock" });

      expect(await sdk.getHealth()).toEqual({ status: "ok" });
      expect((await sdk.listAgents()).agents.map((a) => a.id)).toContain("mock");
      expect(await sdk.getAgent("mock", { config: true })).toMatchObject({ id: "mock", installed: true });
      expect(await sdk.installAgent("mock")).toMatchObject({ already_installed: true });
      expect((await sdk.listAcpServers()).servers.map((s) => s.serverId)).toContain(session.lastConnectionId);
      await expect(sdk.getAgent("no-such-agent")).rejects.toBeInstanceOf(SandboxAgentError);

      const { session: same, response } = await sdk.setSessionMode("api", "code");
      expect(same).toBe(session);
      expect(response).toBeDefined();
      expect((await sdk.setSessionThoughtLevel("api", "high")).response.configOptions.find((o) => o.id === "thought_level")?.currentValue).toBe("high");
      expect((await sdk.getSessionModes("api"))?.currentModeId).toBe("code");
      expect((await sdk.getSessionConfigOptions("api")).length).toBe(2);
      const raw = await sdk.rawSendSessionMethod("api", "session/set_config_option", { configId: "model", value: "smart" });
      expect((raw.response as { configOptions: { id: string; currentValue: string }[] }).configOptions[0]).toMatchObject({ id: "model", currentValue: "smart" });
      await session.rawSend("session/cancel", {}, { notification: true });

      // Permissions answered through the client by id.
      sdk.onPermissionRequest("api", (request) => void sdk.respondPermission(request.id, "once"));
      const { reply } = await promptReport(session, "/permission");
      expect(reply).toContain("permission: allow");

      // Another client changed the record: refresh reads it.
      await store.driver.updateSession({ ...(await store.driver.getSession("api"))!, sandboxId: "sbx-1" });
      expect((await session.refresh()).toRecord().sandboxId).toBe("sbx-1");

      await session.recorder.flush();
      const methods = methodsOf(await allEvents(store.driver, "api"));
      expect(methods).toEqual(expect.arrayContaining(["session/set_mode", "session/set_config_option", "session/cancel", "session/request_permission"]));
      expect(seenById.length).toBe((await allEvents(store.driver, "api")).length);
    });
  });
}
