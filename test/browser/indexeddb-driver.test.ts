import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import { callPage, startBrowserHarness, waitForPage, type BrowserHarness } from "../support/chromium.js";

// The IndexedDB driver in real Chromium: a page imports the SDK built for the browser,
// writes a session, the page is RELOADED, and a new driver instance reads everything back
// from the browser's IndexedDB.

const PAGES = join(dirname(fileURLToPath(import.meta.url)), "pages");

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness({ pages: PAGES });
}, 180_000); // may install Debian's chromium first

afterAll(async () => {
  await harness?.close();
});

const SESSION: SessionRecord = {
  id: "ticket-42 · 日本 · 😀",
  agent: "mock",
  agentSessionId: "agent-session-1",
  lastConnectionId: "connection-1",
  createdAt: 1_750_000_000_000,
  sandboxId: "sandbox-7",
  sessionInit: { cwd: "/work", mcpServers: [] },
  configOptions: [],
  modes: null,
};

function eventAt(eventIndex: number): SessionEvent {
  return {
    id: `evt-${eventIndex}`,
    eventIndex,
    sessionId: SESSION.id,
    createdAt: SESSION.createdAt + eventIndex,
    connectionId: "connection-1",
    sender: eventIndex % 2 === 0 ? "client" : "agent",
    payload: {
      jsonrpc: "2.0",
      method: "session/update",
      params: { sessionId: "agent-session-1", text: `chunk ${eventIndex} · héllo \uE000 🚀`, nested: { n: eventIndex, ok: true } },
    },
  };
}

interface ReadBack {
  record: SessionRecord | null;
  events: SessionEvent[];
  pages: number;
  tail: SessionEvent[];
  sessions: SessionRecord[];
}

describe("IndexedDbSessionPersistDriver in Chromium", () => {
  it("a session written by the page is read back from IndexedDB after a reload", async () => {
    const { page, problems } = await harness.open("/indexeddb-driver.html");
    const events = Array.from({ length: 250 }, (_, i) => eventAt(i));
    await callPage(page, "writeHistory", "reload-test", SESSION, events);

    await page.reload();
    await waitForPage(page);

    assert.ok((await callPage<string[]>(page, "databaseNames")).includes("reload-test"), "stored in IndexedDB");
    const back = await callPage<ReadBack>(page, "readHistory", "reload-test", SESSION.id, 40, 50);
    assert.deepEqual(back.record, SESSION);
    assert.deepEqual(back.events, events);
    assert.equal(back.pages, 7, "250 events in pages of 40");
    assert.deepEqual(back.tail, events.slice(-50));
    assert.deepEqual(back.sessions, [SESSION]);

    // After the reload the stored history is still guarded: a different event at a taken index is refused.
    const clash = { ...eventAt(10), id: "someone-else" };
    assert.deepEqual(await callPage(page, "tryInsert", "reload-test", clash), {
      stored: false,
      conflict: "eventIndex",
      code: "persist.conflict",
    });
    assert.deepEqual(await callPage(page, "tryInsert", "reload-test", eventAt(10)), { stored: true }, "identical re-insert is a no-op");
    const after = await callPage<ReadBack>(page, "readHistory", "reload-test", SESSION.id, 1000, 50);
    assert.deepEqual(after.events, events);

    assert.deepEqual(problems.messages, []);
    await page.context().close();
  });

  it("two tabs appending to one session keep eventIndex unique and gap-free", async () => {
    const { page: tabA, problems } = await harness.open("/indexeddb-driver.html");
    const tabB = await tabA.context().newPage();
    await tabB.goto(tabA.url());
    await waitForPage(tabB);

    await Promise.all([
      callPage<{ conflicts: number }>(tabA, "appendRacing", "tabs-test", "shared", "tab-a", 60),
      callPage<{ conflicts: number }>(tabB, "appendRacing", "tabs-test", "shared", "tab-b", 60),
    ]);
    const back = await callPage<ReadBack>(tabA, "readHistory", "tabs-test", "shared", 1000, 1);
    assert.deepEqual(
      back.events.map((e) => e.eventIndex),
      Array.from({ length: 120 }, (_, i) => i),
    );
    assert.equal(new Set(back.events.map((e) => e.id)).size, 120, "no event lost or duplicated");
    assert.equal(back.events.filter((e) => e.connectionId === "tab-a").length, 60);
    assert.deepEqual(problems.messages, []);
    await tabA.context().close();
  });

  it("two tabs claiming the same session ids: each id goes to exactly one tab (insertSession), without an aborted transaction", async () => {
    const { page: tabA, problems } = await harness.open("/indexeddb-driver.html");
    const tabB = await tabA.context().newPage();
    await tabB.goto(tabA.url());
    await waitForPage(tabB);

    const ids = Array.from({ length: 30 }, (_, i) => `claim-${i}`);
    const [wonA, wonB] = await Promise.all([
      callPage<boolean[]>(tabA, "claimSessions", "claims-test", ids, "tab-a"),
      callPage<boolean[]>(tabB, "claimSessions", "claims-test", ids, "tab-b"),
    ]);
    ids.forEach((_, i) => assert.notEqual(wonA[i], wonB[i], `exactly one tab claims ${ids[i]}`));
    // Claiming again changes nothing: every id is taken.
    assert.deepEqual(await callPage(tabA, "claimSessions", "claims-test", ids, "tab-late"), ids.map(() => false));
    const records = new Map<string, SessionRecord>();
    for (const id of ids) records.set(id, (await callPage<ReadBack>(tabB, "readHistory", "claims-test", id, 10, 1)).record!);
    ids.forEach((id, i) => assert.equal(records.get(id)?.agent, wonA[i] ? "tab-a" : "tab-b", `${id} holds its winner's record`));
    assert.deepEqual(problems.messages, []);
    await tabA.context().close();
  });

  it('own "__proto__" keys (as JSON.parse makes them) survive IndexedDB across a reload as own keys', async () => {
    const { page, problems } = await harness.open("/indexeddb-driver.html");
    await callPage(page, "writeProto", "proto-test");
    await page.reload();
    await waitForPage(page);
    assert.deepEqual(await callPage(page, "readProto", "proto-test"), { params: true, listItem: true, modes: true, text: true });
    assert.deepEqual(problems.messages, []);
    await page.context().close();
  });

  it("a tab holding the database open lets another tab delete it, then carries on with a fresh one", async () => {
    const { page: tabA, problems } = await harness.open("/indexeddb-driver.html");
    const tabB = await tabA.context().newPage();
    await tabB.goto(tabA.url());
    await waitForPage(tabB);

    await callPage(tabA, "keepDriver", "deleted-test");
    await callPage(tabA, "keptUpdate", SESSION);
    assert.deepEqual(await callPage(tabA, "keptSessions"), [SESSION]);

    assert.deepEqual(await callPage(tabB, "deleteDatabase", "deleted-test"), { blocked: false });

    // Tab A's driver let go of its connection and reopens transparently: the database is new and empty.
    assert.deepEqual(await callPage(tabA, "keptSessions"), []);
    const other = { ...SESSION, id: "after-delete" };
    await callPage(tabA, "keptUpdate", other);
    assert.deepEqual(await callPage(tabB, "readHistory", "deleted-test", other.id, 10, 1), {
      record: other,
      events: [],
      pages: 1,
      tail: [],
      sessions: [other],
    });
    assert.deepEqual(problems.messages, []);
    await tabA.context().close();
  });
});
