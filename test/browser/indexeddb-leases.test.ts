import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { SessionEvent } from "../../src/persist/types.js";
import type { LeaseAcquireResult, SessionLease } from "../../src/persist/leases.js";
import { callPage, startBrowserHarness, waitForPage, type BrowserHarness } from "../support/chromium.js";

// Session leases of the IndexedDB driver in real Chromium, at the store (no client): two tabs
// of one origin share its IndexedDB, race for one session's lease, and fence each other's
// writes. Readwrite transactions over the `leases` store never overlap across tabs, which is
// what these tests hold the driver to.

const PAGES = join(dirname(fileURLToPath(import.meta.url)), "pages");

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness({ pages: PAGES });
}, 180_000); // may install Debian's chromium first

afterAll(async () => {
  await harness?.close();
});

async function openTab(context: BrowserContext, databaseName: string, problems: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  await page.goto(new URL("/indexeddb-leases.html", harness.url).href);
  await waitForPage(page);
  await callPage(page, "openDriver", databaseName);
  return page;
}

interface Held {
  token: number;
  start: number;
  end: number;
}

interface WriteAnswer {
  ok: boolean;
  ids?: string[];
  error?: { name: string; code: string; current?: SessionLease };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("IndexedDbSessionPersistDriver leases in Chromium", () => {
  it("two tabs, two racers each, on one session: one holder at a time, tokens 1..n, fenced writes gapless and never interleaved", async () => {
    const context = await harness.browser.newContext();
    const problems: string[] = [];
    try {
      const tabs = [await openTab(context, "lease-race", problems), await openTab(context, "lease-race", problems)];
      const rounds = 5;
      const batches = 2;
      const size = 2;
      const holders = ["tab-a-0", "tab-a-1", "tab-b-0", "tab-b-1"];
      const reports = await Promise.all(
        holders.map((holder, i) =>
          callPage<{ held: Held[]; refusals: number }>(tabs[i < 2 ? 0 : 1]!, "race", "contended", holder, rounds, batches, size),
        ),
      );
      const held = reports.flatMap((r, i) => r.held.map((h) => ({ ...h, holder: holders[i]! }))).sort((a, b) => a.token - b.token);
      assert.deepEqual(held.map((h) => h.token), Array.from({ length: holders.length * rounds }, (_, i) => i + 1));
      for (let i = 1; i < held.length; i++) {
        assert.ok(held[i - 1]!.end <= held[i]!.start, `token ${held[i - 1]!.token} overlaps token ${held[i]!.token}`);
      }
      assert.ok(reports.reduce((n, r) => n + r.refusals, 0) > 0, "the racers never contended");
      const events = await callPage<SessionEvent[]>(tabs[1]!, "readAll", "contended");
      assert.deepEqual(events.map((e) => e.eventIndex), Array.from({ length: held.length * batches * size }, (_, i) => i));
      const runs: { owner: string; count: number }[] = [];
      for (const event of events) {
        const last = runs[runs.length - 1];
        if (last?.owner === event.connectionId) last.count++;
        else runs.push({ owner: event.connectionId, count: 1 });
      }
      assert.deepEqual(runs, held.map((h) => ({ owner: `${h.holder}#${h.token}`, count: batches * size })));
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("a tab whose lease expired and was taken over by another tab gets LeaseLostError and writes nothing; a closed holder's lease is taken after its expiry", async () => {
    const context = await harness.browser.newContext();
    const problems: string[] = [];
    try {
      const a = await openTab(context, "lease-fence", problems);
      const b = await openTab(context, "lease-fence", problems);
      const ttlMs = 400;
      const first = await callPage<LeaseAcquireResult>(a, "acquire", "fenced", "tab-a", ttlMs);
      assert.ok(first.acquired);
      const kept = [...(await callPage<WriteAnswer>(a, "writeFenced", first.lease, "a-0", 3)).ids!];
      const refused = await callPage<LeaseAcquireResult>(b, "acquire", "fenced", "tab-b", ttlMs);
      assert.ok(!refused.acquired, "live: tab b is refused");
      assert.equal(refused.heldBy.holder, "tab-a");

      await sleep(ttlMs + 200);
      const taken = await callPage<LeaseAcquireResult>(b, "acquire", "fenced", "tab-b", 30_000);
      assert.ok(taken.acquired, "expired: tab b takes over");
      assert.equal(taken.lease.token, first.lease.token + 1);
      kept.push(...(await callPage<WriteAnswer>(b, "writeFenced", taken.lease, "b-0", 2)).ids!);

      const stale = await callPage<WriteAnswer>(a, "writeFenced", first.lease, "a-1", 3);
      assert.equal(stale.ok, false);
      assert.equal(stale.error?.name, "LeaseLostError");
      assert.equal(stale.error?.code, "persist.lease_lost");
      assert.equal(stale.error?.current?.holder, "tab-b");
      assert.deepEqual((await callPage<SessionEvent[]>(a, "readAll", "fenced")).map((e) => e.id), kept);

      // Tab b is closed while it holds the lease: tab a waits for the expiry, then takes over.
      const short = await callPage<LeaseAcquireResult>(b, "acquire", "fenced", "tab-b", ttlMs);
      assert.ok(short.acquired);
      await b.close();
      const early = await callPage<LeaseAcquireResult>(a, "acquire", "fenced", "tab-a", ttlMs);
      assert.ok(!early.acquired, "the closed tab's lease is live until it expires");
      await sleep(ttlMs + 200);
      const after = await callPage<LeaseAcquireResult>(a, "acquire", "fenced", "tab-a", ttlMs);
      assert.ok(after.acquired);
      assert.equal(after.lease.token, taken.lease.token + 1);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }, 120_000);
});
