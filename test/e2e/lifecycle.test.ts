import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import { applyRetention, forkSession, loadReplay, REPLAY_HEADER, SandboxAgent, type SessionEvent } from "../../src/index.js";
import { listLatestEventsVia } from "../../src/driver.js";
import { historyTrimmedDetails } from "../../src/protocol/lifecycle-markers.js";
import { allEvents, promptReport, STORES, unansweredRequests, type TestStore } from "../support/client.js";

// Fork and retention against the real sandbox-agent runtime and its scripted agent: what a
// forked or trimmed session tells the agent when it is resumed, on a SQLite store.

/** The replay block a prompt carried, from the events recorded during it ("" when none). */
function replaySent(events: readonly SessionEvent[]): string {
  const prompt = events.find((e) => e.sender === "client" && (e.payload as { method?: string }).method === "session/prompt");
  const first = (prompt?.payload as { params?: { prompt?: { text?: string }[] } } | undefined)?.params?.prompt?.[0]?.text ?? "";
  return first.startsWith(REPLAY_HEADER) ? first : "";
}

describe("fork and retention on the real sandbox-agent runtime (sqlite store)", () => {
  let runtime: RuntimeHandle;
  let store: TestStore;
  const clients: SandboxAgent[] = [];
  const connect = async () => {
    const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: store.driver });
    clients.push(sdk);
    return sdk;
  };

  beforeAll(async () => {
    runtime = await startRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });
  beforeEach(() => {
    store = STORES.sqlite!();
    runtime.configureAgent({ loadSession: true });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((sdk) => sdk.dispose()));
    store.cleanup();
  });

  it("a fork at the end of turn 1 resumes with turn 1's context and not turn 2's; the parent goes on unchanged", async () => {
    const sdk = await connect();
    const parent = await sdk.createSession({ id: "parent", agent: "mock" });
    await promptReport(parent, "turn one: the secret fruit is pineapple");
    const endOfTurn1 = (await listLatestEventsVia(store.driver, "parent", 1))[0]!.eventIndex;
    await promptReport(parent, "turn two: now it is mango");
    const parentBefore = await allEvents(store.driver, "parent");

    const fork = await sdk.forkSession("parent", { atEventIndex: endOfTurn1, newId: "child" });
    const first = await promptReport(fork, "what was the fruit?");
    // A fresh agent session (the agent's own session/fork is not used), given turn 1 by replay.
    expect(fork.lastRestoration?.method).toBe("replay");
    expect(first.report).toMatchObject({ replay: true, turn: 1, loaded: false });
    const replay = replaySent(first.events);
    expect(replay).toContain("pineapple");
    expect(replay).not.toContain("mango");
    expect(replay).not.toContain("Forked");
    // The fork's next turn carries no replay: its agent session now has the context.
    expect((await promptReport(fork, "and then?")).report).toMatchObject({ replay: false, turn: 2 });

    // The parent is untouched and continues on its own agent session (loaded, no replay).
    expect((await allEvents(store.driver, "parent")).slice(0, parentBefore.length)).toEqual(parentBefore);
    const next = await promptReport(parent, "turn three");
    expect(next.report).toMatchObject({ replay: false, turn: 3 });
    expect(unansweredRequests(await allEvents(store.driver, "child"))).toEqual([]);
  });

  it("a 50-turn session trimmed by retention resumes with the newest turns' context and prompts fine", async () => {
    const sdk = await connect();
    const session = await sdk.createSession({ id: "long", agent: "mock" });
    for (let t = 0; t < 50; t++) await promptReport(session, `message number ${t}`);
    await sdk.dispose();
    const events = await allEvents(store.driver, "long");
    const before = await loadReplay((limit) => listLatestEventsVia(store.driver, "long", limit));

    const report = await applyRetention(store.driver, { maxEventsPerSession: 60 });
    const trim = report.trimmedSessions[0]!;
    expect(trim.sessionId).toBe("long");
    const kept = await allEvents(store.driver, "long");
    console.log(`50-turn session: ${events.length} events, ${kept.length} kept after the trim (target 60, overTarget ${trim.overTarget}), ${before!.entries.length} replay entries`);
    expect(kept.length).toBeLessThan(events.length);
    expect(historyTrimmedDetails(kept[0]!.payload)?.firstKeptIndex).toBe(kept[1]!.eventIndex);
    // What a restoration replays is the same as before the trim.
    const after = await loadReplay((limit) => listLatestEventsVia(store.driver, "long", limit));
    expect(after!.entries).toEqual(before!.entries);

    // A new client (the runtime no longer knows the agent session) resumes it by replay.
    await runtime.restart();
    runtime.configureAgent({ loadSession: false });
    const resumed = await (await connect()).resumeSession("long");
    const { report: context, events: turn } = await promptReport(resumed, "what did I say last?");
    expect(context).toMatchObject({ replay: true, turn: 1 });
    const replay = replaySent(turn);
    expect(replay).toContain("message number 49");
    expect(replay).not.toContain("message number 0\n");
    const last = await allEvents(store.driver, "long");
    // The kept history is intact and the new events follow it without a gap.
    expect(last.slice(0, kept.length)).toEqual(kept);
    expect(last.every((e, i) => e.eventIndex === kept[0]!.eventIndex + i)).toBe(true);
    expect(last.length).toBeGreaterThanOrEqual(kept.length + turn.length);
    expect(unansweredRequests(last)).toEqual([]);
  }, 120_000);

  it("forkSession and applyRetention by the standalone functions work on the same store", async () => {
    const sdk = await connect();
    const session = await sdk.createSession({ id: "s", agent: "mock" });
    await promptReport(session, "hello");
    const { copiedEvents } = await forkSession(store.driver, "s", { newId: "copy" });
    expect(copiedEvents).toBe((await allEvents(store.driver, "s")).length);
    // The live session is skipped by the client's own call; the copy is not live and is deleted.
    const result = await sdk.applyRetention({ maxSessions: 0 });
    expect(result.deletedSessions.map((d) => d.id)).toEqual(["copy"]);
    expect(result.protectedSessions).toBe(1);
  });
});
