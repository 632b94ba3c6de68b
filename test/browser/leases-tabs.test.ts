import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { parseAgentContext, startRuntime, type AgentContextReport, type RuntimeHandle } from "../../harness/index.js";
import { callPage, startBrowserHarness, waitForPage, type BrowserHarness } from "../support/chromium.js";

// Two Chromium tabs of one app on one session kept in IndexedDB, against the real runtime:
// the first drives it, the second follows it read-only (and cannot drive while the first
// holds the lease), then takes it over when the first tab is closed, and the conversation
// goes on with full context. The tabs share the origin's IndexedDB and Web Locks.

const PAGES = join(dirname(fileURLToPath(import.meta.url)), "lease-pages");
const TTL_MS = 3000;

let harness: BrowserHarness | undefined;
let runtime: RuntimeHandle | undefined;

beforeAll(async () => {
  harness = await startBrowserHarness({ pages: PAGES });
  runtime = await startRuntime({ corsAllowOrigin: harness.url, loadSession: true });
}, 180_000); // may install Debian's chromium first

afterAll(async () => {
  await harness?.close();
  await runtime?.stop();
});

async function openTab(context: BrowserContext, problems: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  await page.goto(new URL("/lease-tab.html", harness!.url).href);
  await waitForPage(page);
  return page;
}

function report(reply: string): AgentContextReport {
  const parsed = parseAgentContext(reply);
  assert.ok(parsed, `no [agent-context] line in the reply: ${reply}`);
  return parsed;
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("two tabs on one leased session (Chromium, IndexedDB, real runtime)", () => {
  it("one tab drives, the other follows live and takes over when the first is closed", async () => {
    const context = await harness!.browser.newContext();
    const problems: string[] = [];
    try {
      const config = { baseUrl: runtime!.baseUrl, token: runtime!.token, databaseName: "lease-tabs" };
      const sessionId = "shared-by-tabs";
      const first = await openTab(context, problems);
      const second = await openTab(context, problems);

      await callPage(first, "drive", config, sessionId, "tab-1", TTL_MS);
      const turn1 = report(await callPage<string>(first, "sendPrompt", "Remember the code word: pineapple"));
      assert.equal(turn1.turn, 1);

      const following = await callPage<{ lease: { holder: string } }>(second, "follow", config, sessionId, "tab-2", TTL_MS);
      assert.equal(following.lease.holder, "tab-1");
      const refused = await callPage<{ ok: boolean; code?: string; holder?: string }>(second, "tryDrive", sessionId);
      assert.deepEqual({ ok: refused.ok, code: refused.code, holder: refused.holder }, { ok: false, code: "session.leased", holder: "tab-1" });

      const turn2 = report(await callPage<string>(first, "sendPrompt", "And the colour: teal"));
      assert.equal(turn2.priorTurns, 1);
      // The follower saw every stored event, live, in order, without writing any.
      const stored = await callPage<{ id: string }[]>(second, "storedEvents", config.databaseName, sessionId);
      assert.ok(stored.length > 0);
      const seen = await until(
        () => callPage<{ id: string; eventIndex: number }[]>(second, "seen"),
        (events) => events.length >= stored.length,
        10_000,
      );
      assert.deepEqual(
        seen.map((e) => e.id),
        stored.map((e) => e.id),
      );

      // The driving tab is closed; the follower takes over within the lease's TTL (+1 s).
      await first.close({ runBeforeUnload: true });
      const closedAt = Date.now();
      const takeover = await callPage<{ waitedMs: number; at: number }>(second, "takeOver", sessionId, 60_000);
      const takeoverMs = takeover.at - closedAt;
      assert.ok(takeoverMs <= TTL_MS + 1000, `took over ${takeoverMs} ms after the first tab closed (ttl ${TTL_MS} ms)`);
      console.log(`[leases] browser: the second tab drove ${takeoverMs} ms after the first was closed (ttl ${TTL_MS} ms)`);
      assert.equal((await callPage<{ holder: string }>(second, "followerLease")).holder, "tab-2");

      const turn3 = report(await callPage<string>(second, "sendPrompt", "What were the code word and the colour?"));
      assert.equal(turn3.priorTurns, 2, "the agent has the first tab's turns");
      const after = await callPage<{ eventIndex: number }[]>(second, "storedEvents", config.databaseName, sessionId);
      assert.deepEqual(
        after.map((e) => e.eventIndex),
        after.map((_, i) => i),
      );
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
