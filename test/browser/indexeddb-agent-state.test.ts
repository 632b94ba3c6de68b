import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import { callPage, startBrowserHarness, waitForPage, type BrowserHarness } from "../support/chromium.js";

// Agent state storage of the IndexedDB driver in real Chromium, at the store (no client): two
// tabs of one origin append to one file at once (readwrite transactions over the agentState
// store never overlap, across tabs too), and a reloaded page reads back exactly what was stored.

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
  await page.goto(new URL("/indexeddb-agent-state.html", harness.url).href);
  await waitForPage(page);
  await callPage(page, "openDriver", databaseName);
  return page;
}

const LINES = 150;
const PATH = "claude-code/projects/-work-x/3f2c.jsonl";

describe("IndexedDbSessionPersistDriver agent state in Chromium", () => {
  it("two tabs appending to one file: every line once and whole, in each tab's order; read back after a reload", async () => {
    const { page: first } = await harness.open("/indexeddb-agent-state.html");
    const context = first.context();
    const problems: string[] = [];
    const tabA = await openTab(context, "agent-state-tabs", problems);
    const tabB = await openTab(context, "agent-state-tabs", problems);
    // The transcript exists and is not empty: a write at offset 0 replaces, so racing writers
    // at 0 would all succeed (the last one wins), which is the contract, not a race to test.
    const head = [...new TextEncoder().encode("head\n")];
    await callPage(tabA, "writeBytes", "s1", PATH, head);

    const startAt = Date.now() + 500;
    const [a, b] = await Promise.all([
      callPage<{ refused: number }>(tabA, "appendRacing", "s1", PATH, "tab-a", LINES, startAt),
      callPage<{ refused: number }>(tabB, "appendRacing", "s1", PATH, "tab-b", LINES, startAt),
    ]);
    assert.ok(a.refused + b.refused > 0, `the tabs really raced: ${a.refused} + ${b.refused} appends refused`);

    await tabA.reload();
    await waitForPage(tabA);
    await callPage(tabA, "openDriver", "agent-state-tabs");
    const text = await callPage<string>(tabA, "readText", "s1", PATH);
    const lines = text.slice(0, -1).split("\n");
    assert.equal(lines.shift(), "head");
    assert.equal(lines.length, 2 * LINES);
    for (const label of ["tab-a", "tab-b"]) {
      const mine = lines.filter((line) => line.startsWith(`${label} `));
      assert.deepEqual(
        mine.map((line) => line.split(" ").slice(0, 2).join(" ")),
        Array.from({ length: LINES }, (_, n) => `${label} ${n}`),
        `${label}: each line once, in order`,
      );
      for (const line of mine) assert.equal(line.split(" ")[2], "x".repeat(200 + (Number(line.split(" ")[1]) % 13)), "a whole line");
    }
    const listed = await callPage<AgentStateFileInfo[]>(tabA, "list", "s1");
    assert.deepEqual(listed.map((f) => [f.path, f.size]), [[PATH, new TextEncoder().encode(text).byteLength]]);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it("binary data (all 256 byte values) and code-point listing order survive a reload; deleteSession removes them", async () => {
    const { page } = await harness.open("/indexeddb-agent-state.html");
    const problems: string[] = [];
    const tab = await openTab(page.context(), "agent-state-binary", problems);
    const all = Array.from({ length: 256 }, (_, i) => i);
    const paths = ["\u{1F600}.bin", "\uFF61.bin", "a.bin"];
    for (const path of paths) await callPage(tab, "writeBytes", "s2", path, all);

    await tab.reload();
    await waitForPage(tab);
    await callPage(tab, "openDriver", "agent-state-binary");
    for (const path of paths) {
      assert.deepEqual(await callPage(tab, "readBytes", "s2", path), { isUint8Array: true, bytes: all }, path);
    }
    const listed = await callPage<AgentStateFileInfo[]>(tab, "list", "s2");
    assert.deepEqual(listed.map((f) => f.path), ["a.bin", "\uFF61.bin", "\u{1F600}.bin"], "code-point order, not UTF-16 order");
    await callPage(tab, "deleteSession", "s2");
    assert.deepEqual(await callPage(tab, "list", "s2"), []);
    assert.equal(await callPage(tab, "readBytes", "s2", "a.bin"), null);
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
