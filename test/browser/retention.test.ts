import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, it } from "vitest";
import { recordedTurns } from "../../src/conformance/turns.js";
import { callPage, startBrowserHarness, type BrowserHarness } from "../support/chromium.js";

// Retention and fork on the IndexedDB driver in real Chromium: the key-range delete and the
// marker in one transaction, deletions by age, a fork, all read back through the driver.

const PAGES = join(dirname(fileURLToPath(import.meta.url)), "pages");
const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness({ pages: PAGES });
}, 180_000);

afterAll(async () => {
  await harness?.close();
});

interface Result {
  report: { deleted: string[]; trimmed: { sessionId: string; firstKeptIndex: number; removedEvents: number }[] };
  left: Record<string, number[]>;
  copied: number;
  forkKinds: string[];
}

describe("retention and fork on IndexedDB in Chromium", () => {
  it("trims between turns with a marker, deletes old sessions, forks", async () => {
    const { page } = await harness.open("/retention.html");
    const session = (id: string, at: number, turns: number) => ({
      record: { id, agent: "mock", agentSessionId: "a", lastConnectionId: "c", createdAt: at },
      events: recordedTurns({ sessionId: id, turns, startAt: at }),
    });
    const sessions = [session("old", NOW - 40 * DAY, 2), session("long", NOW - DAY, 50)];
    const policy = { maxAgeMs: 30 * DAY, maxEventsPerSession: 41, replay: { maxEvents: 2 } };
    const result = await callPage<Result>(page, "retainAndFork", "retention-test", sessions, policy, NOW, "long", 199);
    assert.deepEqual(result.report.deleted, ["old"]);
    assert.deepEqual(result.report.trimmed.map((t) => [t.sessionId, t.firstKeptIndex, t.removedEvents]), [["long", 160, 160]]);
    assert.deepEqual(result.left.long, Array.from({ length: 41 }, (_, i) => 159 + i));
    assert.equal(result.left.old, undefined);
    assert.equal(result.copied, 41);
    assert.deepEqual(result.forkKinds, ["fork", "trimmed", "session/prompt"]);
  }, 120_000);
});
