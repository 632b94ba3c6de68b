import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort, startRuntime, type RuntimeHandle } from "../../harness/index.js";
import {
  InMemorySessionPersistDriver,
  InvalidOptionsError,
  PersistenceFailedError,
  RuntimeUnavailableError,
  SandboxAgent,
  type DurableAgentError,
} from "../../src/index.js";
import { allEvents, isGapFree, promptReport, STORES, type TestStore } from "../support/client.js";

/**
 * A fetch that cuts the first `cuts` event streams after `frames` SSE events with an id, as a
 * flaky proxy would: what follows the last whole event is never delivered. Events are counted
 * in the bytes, not per read, since a busy machine may deliver a whole turn in one read.
 */
function flakyEventStreams(cuts: number, frames: number) {
  const seen: { lastEventId: string | null }[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const headers = new Headers(init?.headers);
    if (init?.method !== "GET" || !headers.get("accept")?.includes("text/event-stream")) return response;
    seen.push({ lastEventId: headers.get("last-event-id") });
    if (seen.length > cuts || !response.body) return response;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let pending = "";
    let passed = 0;
    const body = new ReadableStream<Uint8Array>({
      // Reads until a whole event can be passed on (a pull that enqueues nothing is not called again).
      async pull(controller) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          pending += decoder.decode(value, { stream: true });
          let out = "";
          for (let end = pending.indexOf("\n\n"); end !== -1; end = pending.indexOf("\n\n")) {
            const event = pending.slice(0, end + 2);
            pending = pending.slice(end + 2);
            out += event;
            if (/^id:/m.test(event) && ++passed >= frames) {
              controller.enqueue(encoder.encode(out));
              await reader.cancel();
              controller.error(new TypeError("terminated"));
              return;
            }
          }
          if (out) return controller.enqueue(encoder.encode(out));
        }
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return { fetch: wrapped, seen };
}

for (const [storeName, makeStore] of Object.entries(STORES)) {
  describe(`client edge cases on the real runtime (${storeName} store)`, () => {
    let runtime: RuntimeHandle;
    let store: TestStore;
    const clients: SandboxAgent[] = [];

    beforeAll(async () => {
      runtime = await startRuntime();
    });
    afterAll(async () => {
      await runtime?.stop();
    });
    beforeEach(() => {
      store = makeStore();
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((sdk) => sdk.dispose()));
      store.cleanup();
    });

    it("resumes a broken event stream with Last-Event-ID: nothing lost, nothing twice", async () => {
      const flaky = flakyEventStreams(2, 3);
      const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: store.driver, fetch: flaky.fetch });
      clients.push(sdk);
      const session = await sdk.createSession({ id: "flaky", agent: "mock" });
      const { reply } = await promptReport(session, "/chunks 40");
      for (let k = 0; k < 40; k++) expect(reply).toContain(`chunk ${k}\n`);
      expect(flaky.seen.length).toBeGreaterThanOrEqual(2);
      expect(flaky.seen[0]!.lastEventId).toBeNull();
      expect(flaky.seen[1]!.lastEventId).toMatch(/^\d+$/);
      const stored = await allEvents(store.driver, "flaky");
      expect(isGapFree(stored)).toBe(true);
      const updates = stored.filter((e) => "method" in e.payload && e.payload.method === "session/update");
      expect(updates).toHaveLength(41); // 40 chunks + the context chunk, each once
      expect(session.lastRestoration?.method).toBe("new"); // the stream was resumed, not the session
    });

    it("keeps the newest history when the replay caps bite", async () => {
      const first = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: store.driver });
      clients.push(first);
      const session = await first.createSession({ id: "capped", agent: "mock" });
      for (let turn = 1; turn <= 6; turn++) await promptReport(session, `turn number ${turn}`);
      await first.dispose();

      const second = await SandboxAgent.connect({
        baseUrl: runtime.baseUrl,
        token: runtime.token,
        persist: store.driver,
        replayMaxEvents: 4,
      });
      clients.push(second);
      const resumed = await second.resumeSession("capped");
      await promptReport(resumed, "what came last?");
      const replay = resumed.lastRestoration?.replay;
      expect(replay?.entries).toHaveLength(4);
      expect(replay?.omittedEntries).toBe(8);
      expect(replay?.text).toContain("turn number 6");
      expect(replay?.text).toContain("turn number 5");
      expect(replay?.text).not.toContain("turn number 4");
      expect(replay?.text).not.toContain("turn number 1");
    });

    it("rejects a prompt whose events could not be stored with PersistenceFailedError, reports it, and stores them once the store is back", async () => {
      const driver = new InMemorySessionPersistDriver();
      let broken = false;
      const insertEvents = driver.insertEvents.bind(driver);
      driver.insertEvents = async (sessionId, events) => {
        if (broken) throw new Error("disk full");
        return insertEvents(sessionId, events);
      };
      const reported: DurableAgentError[] = [];
      const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: driver, onError: (e) => reported.push(e) });
      clients.push(sdk);
      const session = await sdk.createSession({ id: "store-down", agent: "mock" });
      const seen: number[] = [];
      session.onEvent((event) => seen.push(event.eventIndex));
      broken = true;
      const failure = await session.prompt("while the store is down").catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PersistenceFailedError);
      expect((failure as Error).message).toContain("disk full");
      expect(reported.some((e) => e instanceof PersistenceFailedError)).toBe(true);
      expect(seen.length).toBeGreaterThan(0); // listeners were not held back by the store

      broken = false;
      await session.prompt("store is back");
      const stored = await allEvents(driver, "store-down");
      expect(isGapFree(stored)).toBe(true);
      expect(stored.map((e) => e.eventIndex)).toEqual(expect.arrayContaining(seen));
    });

    it("gives up waiting for a runtime that is not there within healthTimeoutMs", async () => {
      const port = await freePort();
      const started = Date.now();
      await expect(
        SandboxAgent.connect({ baseUrl: `http://127.0.0.1:${port}`, persist: store.driver, healthTimeoutMs: 500 }),
      ).rejects.toBeInstanceOf(RuntimeUnavailableError);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it("refuses bad options with a message naming them", async () => {
      await expect(SandboxAgent.connect({ baseUrl: "not a url", persist: store.driver })).rejects.toBeInstanceOf(InvalidOptionsError);
      await expect(
        SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: store.driver, replayMaxChars: 10 }),
      ).rejects.toThrow(/replayMaxChars/);
    });
  });
}
