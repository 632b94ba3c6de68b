import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { SessionRecorder } from "../../src/history/recorder.js";
import { InMemorySessionPersistDriver, type SessionEvent } from "../../src/index.js";
import { DelayedDriver, seededRandom } from "../support/delayed-driver.js";

// "Every event is stored when flush() resolves" (what prompt() awaits before it resolves), on
// a store whose writes are truly asynchronous: each call takes a random few milliseconds and
// concurrent calls complete in any order. The in-process store of recorder.test.ts writes
// during the call itself, so a flush that forgot to wait for a write in flight would pass there.

const envelope = (n: number) => ({ jsonrpc: "2.0" as const, method: "session/update", params: { n } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

function stores(seed: number): { inner: InMemorySessionPersistDriver; store: DelayedDriver; random: () => number } {
  const random = seededRandom(seed);
  const inner = new InMemorySessionPersistDriver({ maxSessions: 100, maxEventsPerSession: 100_000 });
  return { inner, store: new DelayedDriver(inner, { maxDelayMs: 4, random }), random };
}

/** Every id of `expected` is stored; the message names the first one that is not. */
function assertStored(store: DelayedDriver, expected: readonly string[], when: string): void {
  const missing = expected.filter((id) => !store.storedIds.has(id));
  assert.deepEqual(missing, [], `${when}: ${missing.length} of ${expected.length} events not stored yet`);
}

/** The stored events of `sessionId`, read from the wrapped store directly. */
async function storedEvents(inner: InMemorySessionPersistDriver, sessionId: string): Promise<SessionEvent[]> {
  return (await inner.listEvents({ sessionId, limit: 1000 })).items;
}

/**
 * Record bursts of events with random pauses and call flush() at random points; when each
 * flush resolves, every event recorded before it was called must be stored.
 */
async function recordAndFlush(
  recorder: SessionRecorder,
  store: DelayedDriver,
  random: () => number,
  steps: number,
): Promise<SessionEvent[]> {
  const recorded: SessionEvent[] = [];
  const flushes: Promise<void>[] = [];
  for (let step = 0; step < steps; step++) {
    const burst = Math.floor(random() * 5);
    for (let i = 0; i < burst; i++) {
      recorded.push(recorder.record({ connectionId: "c", sender: "agent", payload: envelope(recorded.length) }));
    }
    const choice = random();
    if (choice < 0.3) {
      const before = recorded.map((event) => event.id);
      flushes.push(recorder.flush().then(() => assertStored(store, before, `flush after ${before.length} events`)));
    } else if (choice < 0.6) {
      await sleep(Math.floor(random() * 4));
    } else if (choice < 0.75) {
      // Let the store go idle, so that the next flush finds no write running.
      while (store.inFlight > 0 || recorder.pending > 0) await sleep(1);
    }
  }
  const all = recorded.map((event) => event.id);
  await Promise.all(flushes);
  await recorder.flush();
  assertStored(store, all, "the last flush");
  return recorded;
}

describe("SessionRecorder on a store whose writes are asynchronous", () => {
  it.each(SEEDS)("every event recorded before flush() is stored when it resolves (seed %i)", async (seed) => {
    const { inner, store, random } = stores(seed);
    const recorder = new SessionRecorder("s", {
      driver: store,
      batchSize: 1 + Math.floor(random() * 8),
      writeDelayMs: Math.floor(random() * 3),
      retryDelayMs: 1,
    });
    await recorder.ready();
    const recorded = await recordAndFlush(recorder, store, random, 40);
    const events = await storedEvents(inner, "s");
    assert.deepEqual(events.map((e) => e.id), recorded.map((e) => e.id), "stored once each, in order");
    assert.deepEqual(events.map((e) => e.eventIndex), recorded.map((_, i) => i), "gap-free");
    assert.equal(store.inFlight, 0);
  });

  it("a flush with nothing being written starts the write and waits for it", async () => {
    const { store } = stores(41);
    const recorder = new SessionRecorder("s", { driver: store, batchSize: 5, writeDelayMs: 1000 });
    await recorder.ready();
    const event = recorder.record({ connectionId: "c", sender: "agent", payload: envelope(0) });
    assert.equal(store.inFlight, 0, "waiting for its write delay, not written yet");
    await recorder.flush();
    assertStored(store, [event.id], "the flush");
  });

  it("a flush called while a background write is in flight waits for that write, and for what follows it", async () => {
    const { store } = stores(42);
    const recorder = new SessionRecorder("s", { driver: store, batchSize: 2, writeDelayMs: 0 });
    await recorder.ready();
    const first = [0, 1].map((n) => recorder.record({ connectionId: "c", sender: "agent", payload: envelope(n) }));
    // A full batch starts a write at once: it is in flight, not yet stored, and nothing is queued.
    assert.equal(store.inFlight, 1);
    assert.equal(recorder.pending + store.storedIds.size, recorder.pending);
    await recorder.flush();
    assertStored(store, first.map((e) => e.id), "a flush with the write in flight");
    const more = [2, 3, 4].map((n) => recorder.record({ connectionId: "c", sender: "agent", payload: envelope(n) }));
    assert.equal(store.inFlight, 1);
    await recorder.flush();
    assertStored(store, more.map((e) => e.id), "a flush with a write in flight and one event queued");
    assert.equal(recorder.pending, 0);
  });

  it.each(SEEDS)("several sessions on one store, flushing at random, each keeps its promise (seed %i)", async (seed) => {
    const { inner, store, random } = stores(seed);
    const ids = ["a", "b", "c", "d"];
    const recorders = ids.map(
      (id) => new SessionRecorder(id, { driver: store, batchSize: 1 + Math.floor(random() * 6), writeDelayMs: 1, retryDelayMs: 1 }),
    );
    await Promise.all(recorders.map((recorder) => recorder.ready()));
    const recorded = await Promise.all(recorders.map((recorder) => recordAndFlush(recorder, store, random, 25)));
    for (const [i, id] of ids.entries()) {
      const events = await storedEvents(inner, id);
      assert.deepEqual(events.map((e) => e.id), recorded[i]!.map((e) => e.id), `session ${id}: stored once each, in order`);
    }
    // The store really did complete concurrent writes out of the order they were made.
    const order = store.applied.map((write) => write.call);
    assert.ok(order.some((call, i) => i > 0 && call < order[i - 1]!), "some write completed before one made earlier");
  });

  it.each(SEEDS)("two recorders writing one session (indexes taken by the other) still store everything by flush (seed %i)", async (seed) => {
    const { inner, store, random } = stores(seed);
    const a = new SessionRecorder("shared", { driver: store, batchSize: 3, writeDelayMs: 1, retryDelayMs: 1, attempts: 20 });
    const b = new SessionRecorder("shared", { driver: store, batchSize: 3, writeDelayMs: 1, retryDelayMs: 1, attempts: 20 });
    await Promise.all([a.ready(), b.ready()]);
    const [fromA, fromB] = await Promise.all([recordAndFlush(a, store, random, 15), recordAndFlush(b, store, random, 15)]);
    const events = await storedEvents(inner, "shared");
    assert.deepEqual(new Set(events.map((e) => e.id)), new Set([...fromA, ...fromB].map((e) => e.id)), "every event of both, once");
    assert.deepEqual(events.map((e) => e.eventIndex), events.map((_, i) => i), "indexes unique and gap-free");
  });
});
