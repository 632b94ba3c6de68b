import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSessionPersistDriver } from "../../drivers/file.js";
import { sessionName } from "../../drivers/file/names.js";
import { conformanceFixtures } from "../../src/testing.js";
import { allEvents } from "../support/client.js";
import { assertCrashSurvived, CRASH_SESSION_ID, crashEvent, groupEnds, writeThenKill } from "../support/crash-plan.js";

// A writer killed mid-write (SIGKILL: no exit handlers, no close, maybe holding the lock)
// must lose nothing it acknowledged and leave nothing corrupt; a torn last write is dropped
// when the store is next used, and cut before the next write.

const { makeEvents, minimalRecord } = conformanceFixtures;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "durable-agent-file-crash-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const logOf = (directory: string, sessionId: string) => join(directory, "sessions", sessionName(sessionId), "events.jsonl");

describe("FileSessionPersistDriver: crash durability", () => {
  for (const acks of [300, 2000]) {
    it(`keeps every acknowledged event intact after SIGKILL (after ${acks} acks), and goes on writing`, async () => {
      const store = join(dir, "store");
      const acknowledged = await writeThenKill("file", store, acks);
      const driver = new FileSessionPersistDriver({ directory: store, lockTimeoutMs: 2000 });
      try {
        // The killed writer may have held the lock: the next writer breaks it (its pid is dead).
        const stored = await assertCrashSurvived(driver, acknowledged, acks);
        // Readers see what is indexed. The killed writer may have written a whole group it had
        // not indexed yet (nor acknowledged): the next writer adopts it before writing. Its
        // events are the ones this write repeats, so the write is then an idempotent no-op.
        await driver.insertEvent(CRASH_SESSION_ID, crashEvent(stored.length));
        const adopted = await allEvents(driver, CRASH_SESSION_ID);
        expect(adopted.map((e) => e.eventIndex)).toEqual(adopted.map((_, i) => i));
        for (const event of adopted) expect(event).toEqual(crashEvent(event.eventIndex));
        // Either this write's one event, or a whole group of the killed writer's.
        expect(adopted.length === stored.length + 1 || groupEnds(adopted.length).has(adopted.length)).toBe(true);
        expect(adopted.length).toBeGreaterThan(stored.length);
        await driver.insertEvent(CRASH_SESSION_ID, crashEvent(adopted.length));
        expect((await driver.listLatestEvents(CRASH_SESSION_ID, 1))[0]).toEqual(crashEvent(adopted.length));
        // Every line of the log is a whole event: nothing torn was left in the file.
        const lines = readFileSync(logOf(store, CRASH_SESSION_ID), "utf8").split("\n");
        expect(lines.pop()).toBe("");
        for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
        // The killed writer's lock token was swept; only this driver's is left.
        expect(readdirSync(store).filter((name) => name.startsWith("lock."))).toHaveLength(1);
      } finally {
        await driver.close();
      }
    }, 60_000);
  }
});

describe("FileSessionPersistDriver: torn writes", () => {
  it("drops a torn last line, and cuts it before the next write", async () => {
    const store = join(dir, "store");
    const driver = new FileSessionPersistDriver({ directory: store });
    const events = makeEvents("s", 0, 4);
    try {
      await driver.updateSession(minimalRecord("s"));
      await driver.insertEvents("s", events.slice(0, 3));
      const log = logOf(store, "s");
      const size = statSync(log).size;
      appendFileSync(log, '{"id":"s:evt:3","eventIndex":3,"sessionId":"s","createdAt":1,"conn'); // killed mid-line
      const reopened = new FileSessionPersistDriver({ directory: store });
      try {
        expect(await allEvents(reopened, "s")).toEqual(events.slice(0, 3));
        await reopened.insertEvent("s", events[3] as (typeof events)[number]);
        expect(await allEvents(reopened, "s")).toEqual(events);
        expect(statSync(log).size).toBeGreaterThan(size);
        expect(readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(
          events.map((e) => e.id),
        );
      } finally {
        await reopened.close();
      }
    } finally {
      await driver.close();
    }
  });

  it("drops a batch whose last lines are missing (all or nothing), and keeps a whole batch a writer did not index", async () => {
    const store = join(dir, "store");
    const driver = new FileSessionPersistDriver({ directory: store });
    try {
      await driver.insertEvents("s", makeEvents("s", 0, 2));
      await driver.insertEvents("s", makeEvents("s", 2, 5)); // a batch of three, marked "more": 2, 1
      const log = logOf(store, "s");
      const index = join(store, "sessions", sessionName("s"), "events.idx");
      const text = readFileSync(log, "utf8");
      const third = text.split("\n").slice(0, 4).join("\n").length + 1; // end of the batch's 2nd line
      // 1. The batch's last line never made it, nor its index entries: the batch is gone whole.
      truncateSync(index, 2 * 24);
      truncateSync(log, third);
      const first = new FileSessionPersistDriver({ directory: store });
      try {
        expect((await allEvents(first, "s")).map((e) => e.eventIndex)).toEqual([0, 1]);
        await first.insertEvents("s", makeEvents("s", 2, 5)); // the retry succeeds: nothing holds those keys
        expect(await allEvents(first, "s")).toEqual(makeEvents("s", 0, 5));
      } finally {
        await first.close();
      }
      // 2. The whole batch is in the log but its index entries are not: the next writer indexes it.
      truncateSync(index, 2 * 24);
      const second = new FileSessionPersistDriver({ directory: store });
      try {
        await second.insertEvent("s", makeEvents("s", 5, 6)[0] as ReturnType<typeof makeEvents>[number]);
        expect(await allEvents(second, "s")).toEqual(makeEvents("s", 0, 6));
      } finally {
        await second.close();
      }
    } finally {
      await driver.close();
    }
  });
});
