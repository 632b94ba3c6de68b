import assert from "node:assert/strict";
import { forkSession } from "../lifecycle/fork.js";
import { applyRetention } from "../lifecycle/retention.js";
import { deleteSessionVia, driverCapabilities, insertEventsVia, listLatestEventsVia } from "../persist/capabilities.js";
import { hasSessionActivity, type SessionActivity } from "../persist/activity.js";
import { hasEventTrim } from "../persist/trim.js";
import type { SessionEvent, SessionRecord } from "../persist/types.js";
import { HISTORY_TRIMMED_METHOD, historyTrimmedDetails, isForkedFromMarker } from "../protocol/lifecycle-markers.js";
import { assertSameData, expectConflict, expectValidationError, readAllEvents } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { makeEvent, makeEvents, minimalRecord } from "./fixtures.js";
import { recordedTurns } from "./turns.js";

// The event-trim capability (`deleteEventsBefore`) and what retention and fork build on it.
// A driver without the capability is checked for what retention does then: it trims nothing
// and says so.

const NOW = 1_800_000_000_000;

function marker(sessionId: string, beforeIndex: number, id = `${sessionId}:trim:${beforeIndex}`): SessionEvent {
  return {
    id,
    eventIndex: beforeIndex - 1,
    sessionId,
    createdAt: NOW,
    connectionId: "",
    sender: "client",
    payload: { jsonrpc: "2.0", method: HISTORY_TRIMMED_METHOD, params: { firstKeptIndex: beforeIndex, removedEvents: beforeIndex, trimmedAt: NOW, reason: "test" } },
  };
}

/** deleteEventsBefore, applyRetention and forkSession against the driver. */
export function retentionTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("deleteEventsBefore deletes the range and stores the marker in the freed slot, atomically", async () => {
    const driver = ctx.driver();
    const n = ctx.events(40);
    const events = makeEvents("s-trim", 0, n);
    const other = makeEvents("s-trim-other", 0, 10);
    await driver.updateSession(minimalRecord("s-trim"));
    await insertEventsVia(driver, "s-trim", events);
    await insertEventsVia(driver, "s-trim-other", other);
    if (!hasEventTrim(driver)) {
      const report = await applyRetention(driver, { maxEventsPerSession: 5 });
      assert.deepEqual(report.trimmedSessions, []);
      assert.deepEqual(report.removedEvents, 0);
      assertSameData(await readAllEvents(driver, "s-trim"), events);
      return;
    }
    const cut = n - 10;
    assert.equal(await driver.deleteEventsBefore("s-trim", cut, marker("s-trim", cut)), cut);
    const kept = await readAllEvents(driver, "s-trim", 3);
    assertSameData(kept, [marker("s-trim", cut), ...events.slice(cut)]);
    // Tail reads and the next append see the trimmed history as whole.
    assertSameData(await listLatestEventsVia(driver, "s-trim", 1000), kept);
    await insertEventsVia(driver, "s-trim", [makeEvent("s-trim", n)]);
    assert.equal((await listLatestEventsVia(driver, "s-trim", 1))[0]?.eventIndex, n);
    // Other sessions and the record are untouched.
    assertSameData(await readAllEvents(driver, "s-trim-other"), other);
    assert.ok(await driver.getSession("s-trim"));
  });

  it("deleteEventsBefore: nothing before the index, or an unknown session, deletes nothing and stores no marker", async () => {
    const driver = ctx.driver();
    if (!hasEventTrim(driver)) return;
    const events = makeEvents("s-trim-none", 5, 10);
    await insertEventsVia(driver, "s-trim-none", events);
    assert.equal(await driver.deleteEventsBefore("s-trim-none", 5, marker("s-trim-none", 5)), 0);
    assert.equal(await driver.deleteEventsBefore("s-trim-unknown", 5, marker("s-trim-unknown", 5)), 0);
    assertSameData(await readAllEvents(driver, "s-trim-none"), events);
    assert.deepEqual((await driver.listEvents({ sessionId: "s-trim-unknown" })).items, []);
    // Without a marker: a plain range delete.
    assert.equal(await driver.deleteEventsBefore("s-trim-none", 7), 2);
    assertSameData(await readAllEvents(driver, "s-trim-none"), events.slice(2));
  });

  it("deleteEventsBefore refuses bad arguments and a marker whose id is taken, changing nothing", async () => {
    const driver = ctx.driver();
    if (!hasEventTrim(driver)) return;
    const events = makeEvents("s-trim-bad", 0, 10);
    await insertEventsVia(driver, "s-trim-bad", events);
    await expectValidationError(() => driver.deleteEventsBefore("s-trim-bad", -1), "beforeIndex");
    await expectValidationError(() => driver.deleteEventsBefore("s-trim-bad", 2.5), "beforeIndex");
    await expectValidationError(() => driver.deleteEventsBefore("", 2), "sessionId");
    await expectValidationError(() => driver.deleteEventsBefore("s-trim-bad", 5, marker("s-trim-bad", 4)), "marker.eventIndex");
    await expectValidationError(() => driver.deleteEventsBefore("s-trim-bad", 5, { ...marker("s-trim-bad", 5), sessionId: "x" }), "sessionId");
    // The marker's id is an event kept after the cut: a conflict, and the delete is undone.
    await expectConflict(() => driver.deleteEventsBefore("s-trim-bad", 5, marker("s-trim-bad", 5, events[7]!.id)), "id");
    assertSameData(await readAllEvents(driver, "s-trim-bad"), events);
  });

  it("deleteEventsBefore frees the deleted events' ids", async () => {
    const driver = ctx.driver();
    if (!hasEventTrim(driver)) return;
    const events = makeEvents("s-trim-ids", 0, 6);
    await insertEventsVia(driver, "s-trim-ids", events);
    await driver.deleteEventsBefore("s-trim-ids", 3);
    // An id that was deleted may be stored again (here under another session).
    const reused = { ...makeEvent("s-trim-ids-2", 0), id: events[0]!.id };
    await insertEventsVia(driver, "s-trim-ids-2", [reused]);
    assertSameData(await readAllEvents(driver, "s-trim-ids-2"), [reused]);
  });

  it("applyRetention: deletes by age and count, trims between turns with a marker, keeps the replay's turns", async () => {
    const driver = ctx.driver();
    const day = 86_400_000;
    for (let i = 0; i < 4; i++) {
      const id = `s-ret-${i}`;
      await driver.updateSession(minimalRecord(id, NOW - (40 - 3 * i) * day));
      await insertEventsVia(driver, id, recordedTurns({ sessionId: id, turns: 1, startAt: NOW - (40 - 3 * i) * day }));
    }
    const turns = Math.min(20, Math.floor(ctx.events(80) / 4));
    await driver.updateSession(minimalRecord("s-ret-long", NOW - day));
    await insertEventsVia(driver, "s-ret-long", recordedTurns({ sessionId: "s-ret-long", turns, startAt: NOW - day }));
    await driver.updateSession(minimalRecord("s-ret-new", NOW - day));
    const canDelete = driverCapabilities(driver).includes("deleteSession");
    const report = await applyRetention(
      driver,
      { maxAgeMs: 35 * day, maxSessions: 3, maxEventsPerSession: 9, replay: { maxEvents: 2 } },
      { now: NOW },
    );
    const ids = (await driver.listSessions({ limit: 100 })).items.map((r) => r.id).filter((id) => id.startsWith("s-ret-")).sort();
    if (canDelete) {
      // 0 and 1 are too old; of the other four, the least recently active (2) goes to leave 3.
      assert.deepEqual(report.deletedSessions.map((d) => d.id).sort(), ["s-ret-0", "s-ret-1", "s-ret-2"]);
      assert.deepEqual(ids, ["s-ret-3", "s-ret-long", "s-ret-new"]);
      assert.deepEqual((await driver.listEvents({ sessionId: "s-ret-0" })).items, []);
    } else {
      assert.equal(report.skipped.filter((s) => s.reason === "undeletable").length, 3);
    }
    const long = await readAllEvents(driver, "s-ret-long");
    if (hasEventTrim(driver)) {
      // Two whole turns (8 events) and the marker.
      assert.equal(long.length, 9);
      assert.equal(long[0]!.eventIndex, turns * 4 - 9);
      assert.equal(historyTrimmedDetails(long[0]!.payload)?.firstKeptIndex, turns * 4 - 8);
      assert.equal((long[1]!.payload as { method?: string }).method, "session/prompt");
    } else {
      assert.equal(long.length, turns * 4);
      assert.deepEqual(report.skipped.filter((s) => s.reason === "untrimmable").map((s) => s.id), ["s-ret-long"]);
    }
  });

  it("listSessionActivity lists records in listSessions order with their events' bounds, on the same cursors", async () => {
    const driver = ctx.driver();
    if (!hasSessionActivity(driver)) return;
    const n = ctx.sessions(12);
    for (let i = 0; i < n; i++) {
      const id = `s-act-${String(i).padStart(2, "0")}`;
      await driver.updateSession(minimalRecord(id, NOW + (i % 3)));
      if (i % 4 !== 0) await insertEventsVia(driver, id, makeEvents(id, i, i + 3 + i));
    }
    const listed: SessionRecord[] = [];
    const activity: SessionActivity[] = [];
    let cursor: string | undefined;
    do {
      const page = await driver.listSessions({ cursor, limit: 5 });
      listed.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    do {
      const page = await driver.listSessionActivity({ cursor, limit: 5 });
      activity.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    assertSameData(activity.map((a) => a.record), listed);
    for (const { record, firstEventIndex, lastEventIndex, lastEventAt } of activity) {
      const i = Number(record.id.slice(-2));
      if (i % 4 === 0) assert.deepEqual([firstEventIndex, lastEventIndex, lastEventAt], [undefined, undefined, undefined]);
      else {
        const last = makeEvent(record.id, 2 * i + 2);
        assert.deepEqual([firstEventIndex, lastEventIndex, lastEventAt], [i, 2 * i + 2, last.createdAt], record.id);
      }
    }
    // A cursor of one listing continues the other.
    const first = await driver.listSessions({ limit: 3 });
    const rest = await driver.listSessionActivity({ cursor: first.nextCursor, limit: 100 });
    assertSameData(rest.items.map((a) => a.record), listed.slice(3));
  });

  it("forkSession copies up to an index behind a forked_from marker; the parent is untouched", async () => {
    const driver = ctx.driver();
    await driver.updateSession(minimalRecord("s-fork-parent"));
    const events = recordedTurns({ sessionId: "s-fork-parent", turns: 2 });
    await insertEventsVia(driver, "s-fork-parent", events);
    const result = await forkSession(driver, "s-fork-parent", { newId: "s-fork-child", atEventIndex: 3, now: NOW });
    assert.equal(result.copiedEvents, 4);
    const child = await readAllEvents(driver, "s-fork-child");
    assert.deepEqual(child.map((e) => e.eventIndex), [0, 1, 2, 3, 4]);
    assert.ok(isForkedFromMarker(child[0]!.payload));
    assertSameData(child.slice(1).map((e) => e.payload), events.slice(0, 4).map((e) => e.payload));
    assertSameData(await readAllEvents(driver, "s-fork-parent"), events);
    assert.equal((await driver.getSession("s-fork-child"))?.agentSessionId, "");
    if (driverCapabilities(driver).includes("deleteSession")) await deleteSessionVia(driver, "s-fork-child");
  });
}
