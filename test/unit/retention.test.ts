import { describe, expect, it } from "vitest";
import { recordedTurns } from "../../src/conformance/turns.js";
import { SessionRecorder } from "../../src/history/recorder.js";
import { buildReplay, loadReplay, replayNeedsMoreHistory } from "../../src/history/replay.js";
import { buildTranscript } from "../../src/history/transcript.js";
import { LifecycleInputError } from "../../src/lifecycle/errors.js";
import { applyRetention } from "../../src/lifecycle/retention.js";
import { listLatestEventsVia } from "../../src/persist/capabilities.js";
import { InMemorySessionPersistDriver } from "../../src/persist/memory.js";
import { MemoryBackend } from "../../src/persist/memory/backend.js";
import { PersistDriver } from "../../src/persist/persist-driver.js";
import { hasEventTrim } from "../../src/persist/trim.js";
import type { SessionEvent, SessionPersistDriver, SessionRecord } from "../../src/persist/types.js";
import { HISTORY_TRIMMED_METHOD, historyTrimmedDetails } from "../../src/protocol/lifecycle-markers.js";

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

function record(id: string, createdAt: number): SessionRecord {
  return { id, agent: "mock", agentSessionId: `agent-${id}`, lastConnectionId: "conn-1", createdAt, sessionInit: { cwd: "/w", mcpServers: [] } };
}

function store(): InMemorySessionPersistDriver {
  return new InMemorySessionPersistDriver({ maxSessions: 100_000, maxEventsPerSession: 1_000_000 });
}

async function seed(driver: InMemorySessionPersistDriver, id: string, createdAt: number, turns: number, chunks = 2): Promise<SessionEvent[]> {
  await driver.updateSession(record(id, createdAt));
  const events = recordedTurns({ sessionId: id, turns, chunks, startAt: createdAt });
  if (events.length > 0) await driver.insertEvents(id, events);
  return events;
}

async function all(driver: SessionPersistDriver, sessionId: string): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await driver.listEvents({ sessionId, cursor, limit: 1000 });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const ids = async (driver: SessionPersistDriver) => (await driver.listSessions({ limit: 1000 })).items.map((r) => r.id).sort();

describe("applyRetention: policy", () => {
  it("refuses an unusable policy, naming every problem, and changes nothing", async () => {
    const driver = store();
    await seed(driver, "a", NOW - 10 * DAY, 2);
    const bad = [{}, { maxAgeMs: -1 }, { maxSessions: 1.5 }, { maxEventsPerSession: 0 }, { maxBytesPerSession: "1" }, { maxAgeMs: 1, keep: 3 }, { maxAgeMs: 1, replay: { maxChars: 5 } }];
    for (const policy of bad) {
      await expect(applyRetention(driver, policy as never, { now: NOW })).rejects.toBeInstanceOf(LifecycleInputError);
    }
    const error = await applyRetention(driver, { maxAgeMs: -1, maxSessions: -2 } as never).catch((e: unknown) => e);
    expect((error as LifecycleInputError).code).toBe("lifecycle.invalid_input");
    expect((error as LifecycleInputError).problems).toHaveLength(2);
    expect(await all(driver, "a")).toHaveLength(8);
  });
});

describe("applyRetention: whole sessions", () => {
  it("maxAgeMs deletes sessions by last activity, not by creation", async () => {
    const driver = store();
    await seed(driver, "old", NOW - 40 * DAY, 1);
    await seed(driver, "recent", NOW - 1 * DAY, 1);
    // Created long ago but active yesterday: kept.
    await driver.updateSession(record("busy", NOW - 90 * DAY));
    await driver.insertEvents("busy", recordedTurns({ sessionId: "busy", turns: 1, startAt: NOW - DAY }));
    // No events at all: its record's createdAt is its activity.
    await driver.updateSession(record("empty-old", NOW - 31 * DAY));
    const report = await applyRetention(driver, { maxAgeMs: 30 * DAY }, { now: NOW });
    expect(report.deletedSessions.map((d) => [d.id, d.rule]).sort()).toEqual([
      ["empty-old", "maxAgeMs"],
      ["old", "maxAgeMs"],
    ]);
    expect(await ids(driver)).toEqual(["busy", "recent"]);
    expect(await all(driver, "old")).toEqual([]);
    expect(report.scannedSessions).toBe(4);
  });

  it("maxSessions deletes the least recently active; protected sessions count but stay", async () => {
    const driver = store();
    for (let i = 0; i < 6; i++) await seed(driver, `s${i}`, NOW - (10 - i) * DAY, 1);
    const report = await applyRetention(driver, { maxSessions: 3, keep: (r) => r.id === "s0" }, { now: NOW, skip: (id) => id === "s1" });
    expect(report.protectedSessions).toBe(2);
    // s0 and s1 are protected; of the rest the oldest (s2, s3, s4) go so that 3 sessions remain.
    expect(report.deletedSessions.map((d) => d.id)).toEqual(["s2", "s3", "s4"]);
    expect(await ids(driver)).toEqual(["s0", "s1", "s5"]);
  });

  it("a dry run reports the same and changes nothing", async () => {
    const driver = store();
    for (let i = 0; i < 4; i++) await seed(driver, `s${i}`, NOW - (10 - i) * DAY, 30);
    const policy = { maxSessions: 2, maxEventsPerSession: 20, replay: { maxEvents: 4 } };
    const dry = await applyRetention(driver, policy, { now: NOW, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(await ids(driver)).toEqual(["s0", "s1", "s2", "s3"]);
    expect(await all(driver, "s3")).toHaveLength(120);
    const real = await applyRetention(driver, policy, { now: NOW });
    expect(real.deletedSessions).toEqual(dry.deletedSessions);
    expect(real.trimmedSessions.map((t) => [t.sessionId, t.firstKeptIndex]).sort()).toEqual(dry.trimmedSessions.map((t) => [t.sessionId, t.firstKeptIndex]).sort());
  });

  it("an aborted run stops with AbortedError", async () => {
    const driver = store();
    for (let i = 0; i < 3; i++) await seed(driver, `s${i}`, NOW - 100 * DAY, 1);
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(applyRetention(driver, { maxAgeMs: DAY }, { now: NOW, signal: controller.signal })).rejects.toMatchObject({ code: "aborted" });
    expect(await ids(driver)).toHaveLength(3);
  });
});

describe("applyRetention: trims", () => {
  it("maxEventsPerSession cuts between turns, leaves a marker at the cut, keeps the newest turns", async () => {
    const driver = store();
    await seed(driver, "long", NOW - DAY, 50); // 200 events, 4 per turn
    const report = await applyRetention(driver, { maxEventsPerSession: 41, replay: { maxEvents: 4 } }, { now: NOW });
    expect(report.trimmedSessions).toHaveLength(1);
    const trim = report.trimmedSessions[0]!;
    // 10 turns (40 events) plus the marker fit in 41.
    expect(trim).toMatchObject({ sessionId: "long", firstKeptIndex: 160, removedEvents: 160, keptEvents: 41, overTarget: false });
    expect(report.removedEvents).toBe(160);
    const events = await all(driver, "long");
    expect(events).toHaveLength(41);
    expect(events[0]!.eventIndex).toBe(159);
    expect(events[0]!.sender).toBe("client");
    expect(historyTrimmedDetails(events[0]!.payload)).toMatchObject({ firstKeptIndex: 160, removedEvents: 160, trimmedAt: NOW });
    expect((events[1]!.payload as { method?: string }).method).toBe("session/prompt");
    expect(events.at(-1)!.eventIndex).toBe(199);
  });

  it("keeps every turn the replay needs, even over the target", async () => {
    const driver = store();
    const events = await seed(driver, "long", NOW - DAY, 50);
    const before = buildReplay(events);
    const report = await applyRetention(driver, { maxEventsPerSession: 10 }, { now: NOW });
    const trim = report.trimmedSessions[0]!;
    expect(trim.overTarget).toBe(true);
    const kept = await all(driver, "long");
    expect(kept.length).toBeGreaterThan(10);
    const after = await loadReplay((limit) => listLatestEventsVia(driver, "long", limit));
    // The same entries are replayed as before the trim (the oldest, cut to fit, may keep a few
    // more characters: the explanation line's room is bounded by the number of entries read).
    expect(after!.entries).toEqual(before!.entries);
    // The trim marker is the history's start: nothing older is worth reading.
    expect(replayNeedsMoreHistory(kept, buildReplay(kept, { maxEvents: 500, maxChars: 100_000 }))).toBe(false);
    expect(after!.text.split("\n").slice(3)).toEqual(before!.text.split("\n").slice(3));
  });

  it("always keeps the newest turn whole, however large", async () => {
    const driver = store();
    await seed(driver, "big", NOW - DAY, 3, 50);
    const report = await applyRetention(driver, { maxEventsPerSession: 5, replay: { maxEvents: 1 } }, { now: NOW });
    const kept = await all(driver, "big");
    expect(report.trimmedSessions[0]).toMatchObject({ firstKeptIndex: 104, overTarget: true });
    expect(kept).toHaveLength(1 + 52);
  });

  it("maxBytesPerSession trims by stored size", async () => {
    const driver = store();
    const events = await seed(driver, "s", NOW - DAY, 20);
    const size = (e: SessionEvent) => new TextEncoder().encode(JSON.stringify(e)).length;
    const limit = events.slice(60).reduce((n, e) => n + size(e), 0) + 10; // the last 5 turns fit
    const report = await applyRetention(driver, { maxBytesPerSession: limit, replay: { maxEvents: 2 } }, { now: NOW });
    const trim = report.trimmedSessions[0]!;
    expect(trim).toMatchObject({ firstKeptIndex: 60, keptBytes: limit - 10, overTarget: false });
    expect(await all(driver, "s")).toHaveLength(21);
  });

  it("a second trim replaces the first marker; a session within the limits is untouched", async () => {
    const driver = store();
    await seed(driver, "s", NOW - DAY, 30);
    await seed(driver, "small", NOW - DAY, 2);
    const policy = { maxEventsPerSession: 41, replay: { maxEvents: 2 } };
    await applyRetention(driver, policy, { now: NOW });
    // Nothing to do the second time.
    expect((await applyRetention(driver, policy, { now: NOW + 1 })).trimmedSessions).toEqual([]);
    // More turns, then trim again.
    await driver.insertEvents("s", recordedTurns({ sessionId: "s", turns: 5, firstIndex: 120, idPrefix: "more-" }));
    const report = await applyRetention(driver, policy, { now: NOW + 2 });
    expect(report.trimmedSessions[0]).toMatchObject({ firstKeptIndex: 100, removedEvents: 21 });
    const events = await all(driver, "s");
    expect(events.filter((e) => (e.payload as { method?: string }).method === HISTORY_TRIMMED_METHOD)).toHaveLength(1);
    expect(events[0]!.eventIndex).toBe(99);
    expect(await all(driver, "small")).toHaveLength(8);
  });

  it("a trimmed session reads as whole: transcript without partial entries, the recorder appends after it", async () => {
    const driver = store();
    await seed(driver, "s", NOW - DAY, 30);
    await applyRetention(driver, { maxEventsPerSession: 21, replay: { maxEvents: 2 } }, { now: NOW });
    const events = await all(driver, "s");
    const transcript = buildTranscript(events);
    expect(transcript[0]).toEqual({ kind: "trimmed", removedEvents: 100, eventIndex: 99 });
    expect(transcript[1]).toMatchObject({ kind: "user", text: "turn 25" });
    expect(transcript.some((e) => e.partial)).toBe(false);
    const recorder = new SessionRecorder("s", { driver, writeDelayMs: 0 });
    await recorder.ready();
    recorder.record({ connectionId: "c2", sender: "client", payload: { jsonrpc: "2.0", method: "session/cancel", params: {} } });
    await recorder.flush();
    expect((await all(driver, "s")).at(-1)!.eventIndex).toBe(120);
  });

  it("a driver with the base methods only: nothing trimmed or deleted, each reported", async () => {
    const inner = store();
    await seed(inner, "old", NOW - 100 * DAY, 1);
    await seed(inner, "long", NOW - DAY, 30);
    const base: SessionPersistDriver = {
      getSession: (id) => inner.getSession(id),
      listSessions: (r) => inner.listSessions(r),
      updateSession: (s) => inner.updateSession(s),
      listEvents: (r) => inner.listEvents(r),
      insertEvent: (id, e) => inner.insertEvent(id, e),
    };
    const report = await applyRetention(base, { maxAgeMs: 30 * DAY, maxEventsPerSession: 20, replay: { maxEvents: 2 } }, { now: NOW });
    expect(report.skipped.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "long", reason: "untrimmable" },
      { id: "old", reason: "undeletable" },
    ]);
    expect(report.deletedSessions).toEqual([]);
    expect(await all(inner, "long")).toHaveLength(120);
  });

  it("the kit exposes deleteEventsBefore only over a backend with the primitive", () => {
    expect(hasEventTrim(store())).toBe(true);
    const backend = new MemoryBackend({ maxSessions: 10, maxEventsPerSession: 10 });
    Object.defineProperty(backend, "deleteEventsBefore", { value: undefined });
    const driver = new PersistDriver("NoTrim", backend);
    expect(hasEventTrim(driver)).toBe(false);
    expect(driver.deleteEventsBefore).toBeUndefined();
  });

  it("deleteEventsBefore refuses bad arguments and changes nothing", async () => {
    const driver = store();
    await seed(driver, "s", NOW - DAY, 2);
    const marker = (index: number): SessionEvent => ({ id: "m", eventIndex: index, sessionId: "s", createdAt: NOW, connectionId: "", sender: "client", payload: { jsonrpc: "2.0", method: HISTORY_TRIMMED_METHOD, params: {} } });
    await expect(driver.deleteEventsBefore!("s", -1)).rejects.toMatchObject({ code: "persist.invalid_input" });
    await expect(driver.deleteEventsBefore!("s", 1.5)).rejects.toMatchObject({ code: "persist.invalid_input" });
    await expect(driver.deleteEventsBefore!("s", 4, marker(2))).rejects.toMatchObject({ code: "persist.invalid_input" });
    await expect(driver.deleteEventsBefore!("s", 4, { ...marker(3), sessionId: "x" })).rejects.toMatchObject({ code: "persist.invalid_input" });
    // A marker id that is taken: a conflict, nothing deleted.
    await expect(driver.deleteEventsBefore!("s", 4, { ...marker(3), id: "s-e5" })).rejects.toMatchObject({ code: "persist.conflict" });
    expect(await all(driver, "s")).toHaveLength(8);
    expect(await driver.deleteEventsBefore!("nobody", 4)).toBe(0);
    expect(await driver.deleteEventsBefore!("s", 4, marker(3))).toBe(4);
    expect((await all(driver, "s")).map((e) => e.eventIndex)).toEqual([3, 4, 5, 6, 7]);
  });
});
