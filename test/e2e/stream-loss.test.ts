import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import {
  EventsLostError,
  eventsLostDetails,
  isEventsLostMarker,
  SandboxAgent,
  type DurableAgentError,
  type SessionEvent,
} from "../../src/index.js";
import { allEvents, isGapFree, promptReport, STORES, type TestStore } from "../support/client.js";
import { sseTap } from "../support/sse-tap.js";

// A lossy path between the client and the real runtime: the tap drops chosen frames of the
// event stream, as the runtime itself does for a subscriber that falls behind. Within the
// runtime's replay buffer (its last 1024 messages) the client must heal the gap with
// Last-Event-ID so that nothing is lost; beyond it, the loss must be loud: a marker in the
// store, a typed error for the turn, onError, and a replay that says the turn is incomplete.

/** The `chunk <k>` number a frame carries, if any. */
function chunkOf(data: string): number | undefined {
  try {
    const text = (JSON.parse(data) as { params?: { update?: { content?: { text?: string } } } }).params?.update?.content?.text;
    const match = /^chunk (\d+)\n$/.exec(text ?? "");
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The chunk numbers stored in `events`, in order. */
function storedChunks(events: readonly SessionEvent[]): number[] {
  const out: number[] = [];
  for (const event of events) {
    const update = (event.payload as { params?: { update?: { sessionUpdate?: string; content?: { text?: string } } } }).params?.update;
    if (update?.sessionUpdate !== "agent_message_chunk") continue;
    const match = /^chunk (\d+)\n$/.exec(update.content?.text ?? "");
    if (match) out.push(Number(match[1]));
  }
  return out;
}

for (const [storeName, makeStore] of Object.entries(STORES)) {
  describe(`event stream gaps on the real runtime (${storeName} store)`, () => {
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
      await Promise.all(clients.splice(0).map((sdk) => sdk.dispose().catch(() => undefined)));
      store.cleanup();
    });

    it("heals a gap the runtime can still fill: resumes with Last-Event-ID, every chunk stored once, in order", async () => {
      const tap = sseTap({ drop: (frame) => frame.streamIndex === 0 && (chunkOf(frame.data) ?? -1) >= 100 && (chunkOf(frame.data) ?? -1) < 160 });
      const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: store.driver, fetch: tap.fetch });
      clients.push(sdk);
      const session = await sdk.createSession({ id: "heal", agent: "mock" });
      const response = await session.prompt("/chunks 500", { timeoutMs: 30_000 });
      expect(response.stopReason).toBe("end_turn");

      expect(tap.streams[0]!.dropped).toHaveLength(60);
      // The second stream resumed right after the last message delivered before the gap.
      const lastBeforeGap = tap.streams[0]!.passed.filter((id) => id < tap.streams[0]!.dropped[0]!).at(-1);
      expect(tap.streams[1]?.lastEventId).toBe(String(lastBeforeGap));
      const events = await allEvents(store.driver, "heal");
      expect(isGapFree(events)).toBe(true);
      expect(storedChunks(events)).toEqual(Array.from({ length: 500 }, (_, k) => k));
      expect(events.some((event) => isEventsLostMarker(event.payload))).toBe(false);
      expect(sdk.stats()).toMatchObject({ gapsHealed: 1, gapsLost: 0, eventsLost: 0 });
    });

    it("makes a loss beyond the runtime's buffer loud: marker stored, EventsLostError, onError, and the next prompt's replay says the turn is incomplete", async () => {
      // 1500 consecutive frames dropped: when the gap shows, the runtime holds only its last 1024 messages.
      const tap = sseTap({ drop: (frame) => frame.streamIndex === 0 && (chunkOf(frame.data) ?? -1) >= 10 && (chunkOf(frame.data) ?? -1) < 1510 });
      const errors: DurableAgentError[] = [];
      const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: store.driver, fetch: tap.fetch });
      clients.push(sdk);
      const session = await sdk.createSession({ id: "lost", agent: "mock" });
      session.onError((error) => errors.push(error));

      const failure = await session.prompt("/chunks 2000", { timeoutMs: 30_000 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(EventsLostError);
      const lost = failure as EventsLostError;
      expect(lost.code).toBe("runtime.events_lost");
      expect(lost.lostEvents).toBeGreaterThanOrEqual(1500 - 1024);
      expect(errors.some((error) => error instanceof EventsLostError)).toBe(true);
      expect(sdk.stats().gapsLost).toBe(1);
      expect(sdk.stats().eventsLost).toBe(lost.lostEvents);

      const events = await allEvents(store.driver, "lost");
      expect(isGapFree(events)).toBe(true);
      const markers = events.filter((event) => isEventsLostMarker(event.payload));
      expect(markers).toHaveLength(1);
      expect(markers[0]!.sender).toBe("client");
      expect(eventsLostDetails(markers[0]!.payload)).toMatchObject({ count: lost.lostEvents, fromStreamId: lost.fromStreamId, toStreamId: lost.toStreamId });
      // The marker sits where the messages went missing: after the chunks before the gap.
      const chunks = storedChunks(events.filter((event) => event.eventIndex < markers[0]!.eventIndex));
      expect(chunks).toEqual(Array.from({ length: 10 }, (_, k) => k));

      // The session goes on: restored on a new connection, the replay tells the agent the turn is incomplete.
      const next = await promptReport(session, "what happened?");
      expect(next.response.stopReason).toBe("end_turn");
      expect(next.report.replay).toBe(true);
      expect(session.lastRestoration?.replay?.text).toMatch(/Turn outcome: incomplete: \d+ message\(s\) of this turn were lost in transit/);
    });
  });
}
