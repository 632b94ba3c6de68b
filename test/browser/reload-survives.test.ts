import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, it } from "vitest";
import { buildBrowserApp, writeAppConfig } from "../../examples/browser-app/build.js";
import { parseAgentContext, REPLAY_HEADER, startRuntime, type AgentContextReport, type RuntimeHandle } from "../../harness/index.js";
import type { SessionEvent } from "../../src/index.js";
import { startBrowserHarness, type BrowserHarness } from "../support/chromium.js";
import {
  openApp,
  readStore,
  reloadApp,
  sendPrompt,
  sentPrompts,
  shownMessages,
  shownSessionId,
  STORE_READER_ROUTE,
} from "../support/browser-app.js";

// The "browser app surviving reloads" promise, shown the way a user sees it: the example app
// (examples/browser-app) runs in headless Chromium against the real runtime, stores its
// session in IndexedDB, is RELOADED, and resumes the same session with its context.

const READER_PAGES = join(dirname(fileURLToPath(import.meta.url)), "reload-pages");

let appDir: string;
let harness: BrowserHarness | undefined;
let runtime: RuntimeHandle | undefined;

beforeAll(async () => {
  appDir = mkdtempSync(join(tmpdir(), "durable-agent-browser-app-"));
  await buildBrowserApp(appDir);
  harness = await startBrowserHarness({ pages: appDir, routes: { [STORE_READER_ROUTE]: READER_PAGES } });
  // The page's origin is known only once it is served: the runtime allows exactly that one.
  runtime = await startRuntime({ corsAllowOrigin: harness.url });
  writeAppConfig(appDir, { baseUrl: runtime.baseUrl, token: runtime.token, agent: "mock" });
}, 180_000); // may install Debian's chromium first

afterAll(async () => {
  await harness?.close();
  await runtime?.stop();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

function report(reply: string): AgentContextReport {
  const parsed = parseAgentContext(reply);
  assert.ok(parsed, `no [agent-context] line in the reply shown: ${reply}`);
  return parsed;
}

function assertGapFree(events: readonly SessionEvent[]): void {
  assert.deepEqual(
    events.map((e) => e.eventIndex),
    events.map((_, i) => i),
    "eventIndex runs 0..n-1 without gaps",
  );
}

/** Chromium logs failed requests as console errors; while the runtime is down they are expected. */
function withoutNetworkNoise(messages: readonly string[]): string[] {
  return messages.filter((m) => !/Failed to load resource|net::ERR_/.test(m));
}

describe("the example browser app in Chromium, against the real runtime", () => {
  it("CORS: the runtime answers a page of the allowed origin, and refuses any other", async () => {
    const context = await harness!.browser.newContext();
    try {
      const page = await context.newPage();
      const health = (target: { baseUrl: string; token: string }) =>
        fetch(`${target.baseUrl}/v1/health`, { headers: { authorization: `Bearer ${target.token}`, "last-event-id": "1" } }).then(
          (response) => `HTTP ${response.status}`,
          (error: Error) => `refused: ${error.name}`,
        );
      const target = { baseUrl: runtime!.baseUrl, token: runtime!.token };
      // The authorization and last-event-id headers make this a preflighted request.
      await page.goto(new URL("/index.html", harness!.url).href);
      assert.equal(await page.evaluate(health, target), "HTTP 200");
      // localhost is another origin than 127.0.0.1 (same server, same page).
      await page.goto(new URL("/index.html", harness!.url.replace("127.0.0.1", "localhost")).href);
      assert.equal(await page.evaluate(health, target), "refused: TypeError");
    } finally {
      await context.close();
    }
  });

  it("a reloaded page resumes the same session from IndexedDB, and its next prompt carries the restored context", async () => {
    const { page, problems, status } = await openApp(harness!);
    assert.equal(status.state, "ready", status.text);
    assert.match(status.text, /New conversation/);
    const sessionId = await shownSessionId(page);
    assert.ok(sessionId.length > 0);

    const first = "Remember the code word: pineapple";
    const turn1 = await sendPrompt(page, first);
    assert.equal(turn1.status.state, "ready", turn1.status.text);
    assert.match(turn1.reply, /^echo: Remember the code word: pineapple/);
    const report1 = report(turn1.reply);
    assert.equal(report1.replay, false);
    assert.equal(report1.turn, 1);

    const before = await readStore(page.context(), harness!.url, sessionId);
    assert.equal(before.record?.id, sessionId);
    assert.equal(before.record?.agent, "mock");
    assert.equal(before.record?.agentSessionId, report1.sessionId);
    assertGapFree(before.events);
    assert.deepEqual(sentPrompts(before.events), [[first]]);

    // RELOAD: a new page, a new client, a new driver; only IndexedDB and localStorage remain.
    const resumed = await reloadApp(page);
    assert.equal(resumed.state, "ready", resumed.text);
    assert.match(resumed.text, /Resumed from IndexedDB/);
    assert.equal(await shownSessionId(page), sessionId, "the same session id, kept in localStorage");
    assert.deepEqual(
      (await shownMessages(page)).slice(0, 2),
      [
        { kind: "user", text: first },
        { kind: "agent", text: turn1.reply },
      ],
      "the conversation is on screen again, read from IndexedDB",
    );
    const afterReload = await readStore(page.context(), harness!.url, sessionId);
    assert.deepEqual(afterReload.events.slice(0, before.events.length), before.events, "the events stored before the reload are all there");
    assertGapFree(afterReload.events);

    const second = "What was the code word?";
    const turn2 = await sendPrompt(page, second);
    assert.equal(turn2.status.state, "ready", turn2.status.text);
    const report2 = report(turn2.reply);
    assert.equal(report2.replay, true, "the agent got the earlier conversation replayed");
    assert.ok(report2.replayChars > first.length);
    assert.notEqual(report2.sessionId, report1.sessionId, "a fresh agent session, restored by replay");

    const after = await readStore(page.context(), harness!.url, sessionId);
    assertGapFree(after.events);
    assert.deepEqual(after.events.slice(0, before.events.length), before.events);
    assert.equal(after.record?.agentSessionId, report2.sessionId);
    const prompts = sentPrompts(after.events);
    assert.equal(prompts.length, 2);
    const [replayBlock, asked] = prompts[1]!;
    assert.ok(replayBlock !== undefined && replayBlock.startsWith(REPLAY_HEADER), "the first block of the next prompt is the replay");
    assert.ok(replayBlock.includes(first), `the replay carries the first prompt: ${replayBlock}`);
    assert.equal(asked, second);
    assert.ok((await shownMessages(page)).some((m) => m.kind === "note" && /replayed/.test(m.text)));

    assert.deepEqual(problems.messages, []);
    await page.context().close();
  });

  it("a runtime restart under the open page: the next prompt restores the session in the browser", async () => {
    const { page, problems, status } = await openApp(harness!);
    assert.equal(status.state, "ready", status.text);
    const sessionId = await shownSessionId(page);

    const first = "Remember the code word: mango";
    const turn1 = await sendPrompt(page, first);
    assert.equal(turn1.status.state, "ready", turn1.status.text);
    const report1 = report(turn1.reply);
    assert.equal(report1.replay, false);

    const oldPid = runtime!.pid;
    await runtime!.restart();
    assert.notEqual(runtime!.pid, oldPid);

    const second = "What was the code word?";
    const turn2 = await sendPrompt(page, second);
    assert.equal(turn2.status.state, "ready", turn2.status.text);
    const report2 = report(turn2.reply);
    assert.equal(report2.replay, true, "the agent got the earlier conversation replayed");
    assert.notEqual(report2.pid, report1.pid, "a new agent process, on the restarted runtime");

    const { events } = await readStore(page.context(), harness!.url, sessionId);
    assertGapFree(events);
    const prompts = sentPrompts(events);
    assert.deepEqual(prompts[0], [first]);
    const [replayBlock, asked] = prompts.at(-1)!;
    assert.ok(replayBlock?.startsWith(REPLAY_HEADER) && replayBlock.includes(first), `the replay carries the first prompt: ${replayBlock}`);
    assert.equal(asked, second);
    const userMessages = async () => (await shownMessages(page)).filter((m) => m.kind === "user").map((m) => m.text);
    // A first attempt that never reached the agent (sent again after restoring) is not shown.
    assert.deepEqual(await userMessages(), [first, second]);

    // And a reload after all that still finds everything.
    const resumed = await reloadApp(page);
    assert.equal(resumed.state, "ready", resumed.text);
    assert.deepEqual(await userMessages(), [first, second]);

    assert.deepEqual(withoutNetworkNoise(problems.messages), []);
    await page.context().close();
  });

  it("with an agent that supports session/load, the reloaded page rebinds the same agent session and shows no history twice", async () => {
    runtime!.configureAgent({ loadSession: true });
    try {
      const { page, problems, status } = await openApp(harness!);
      assert.equal(status.state, "ready", status.text);
      const first = "Remember the code word: kiwi";
      const report1 = report((await sendPrompt(page, first)).reply);

      const resumed = await reloadApp(page);
      assert.equal(resumed.state, "ready", resumed.text);
      assert.match(resumed.text, /session\/load/);
      const second = "What was the code word?";
      const turn2 = await sendPrompt(page, second);
      const report2 = report(turn2.reply);
      assert.equal(report2.loaded, true);
      assert.equal(report2.sessionId, report1.sessionId, "the same agent session");
      assert.equal(report2.priorTurns, 1, "the agent remembers the first turn itself");
      assert.equal(report2.replay, false, "nothing replayed: the agent has the history");
      const conversation = await shownMessages(page);
      assert.deepEqual(
        conversation.map((m) => m.kind),
        ["user", "agent", "user", "agent"],
      );
      // The store now also holds the history the agent streamed back while loading; a page
      // rebuilt from it shows the conversation once, as it was.
      assert.equal((await reloadApp(page)).state, "ready");
      assert.deepEqual(await shownMessages(page), conversation);
      assert.deepEqual(problems.messages, []);
      await page.context().close();
    } finally {
      runtime!.configureAgent({ loadSession: false });
    }
  });
});
