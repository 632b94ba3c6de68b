import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { buildBrowserApp, writeAppConfig } from "../../examples/browser-app/build.js";
import { DATABASE_NAME, ENCRYPTED_DATABASE_NAME } from "../../examples/browser-app/settings.js";
import { parseAgentContext, startRuntime, type RuntimeHandle } from "../../harness/index.js";
import { startBrowserHarness, type BrowserHarness } from "../support/chromium.js";
import { openApp, rawIndexedDb, reloadApp, sendPrompt, shownMessages } from "../support/browser-app.js";
import { piecesIn, PLANTED, textWithSecrets } from "../support/secrets.js";

// The example browser app with ?encrypt=1 and ?redact=1, in Chromium against the real runtime:
// IndexedDB read directly (the raw API, no driver) holds neither the planted prompt in clear
// nor any piece of a planted secret, and the encrypted conversation survives a reload.

let appDir: string;
let harness: BrowserHarness | undefined;
let runtime: RuntimeHandle | undefined;

beforeAll(async () => {
  appDir = mkdtempSync(join(tmpdir(), "durable-agent-protected-app-"));
  await buildBrowserApp(appDir);
  harness = await startBrowserHarness({ pages: appDir });
  runtime = await startRuntime({ corsAllowOrigin: harness.url });
  writeAppConfig(appDir, { baseUrl: runtime.baseUrl, token: runtime.token, agent: "mock" });
}, 180_000);

afterAll(async () => {
  await harness?.close();
  await runtime?.stop();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

describe("the example browser app, encrypted and redacted, in Chromium", () => {
  it("?encrypt=1: IndexedDB holds no plaintext of the conversation, and a reload shows it again and resumes it", async () => {
    const { page, problems, status } = await openApp(harness!, "?encrypt=1");
    assert.equal(status.state, "ready", status.text);
    const marker = `PLAINTEXT-MARKER-${crypto.randomUUID()}`;
    const turn1 = await sendPrompt(page, `Remember the code word ${marker}`);
    assert.equal(turn1.status.state, "ready", turn1.status.text);
    assert.match(turn1.reply, new RegExp(`^echo: Remember the code word ${marker}`));

    const raw = await rawIndexedDb(page, ENCRYPTED_DATABASE_NAME);
    assert.ok(raw.includes('\\"_enc\\":\\"aesgcm.v1\\"') || raw.includes('"_enc":"aesgcm.v1"'), "payloads are stored as encrypted envelopes");
    assert.ok(!raw.includes(marker), "the prompt is not in IndexedDB in clear");
    assert.ok(!raw.includes(marker.slice(-12)), "nor any part of it");
    assert.ok(raw.includes("session/prompt") === false, "method names are inside the ciphertext too");

    // RELOAD: the key comes back from the origin's key store, the history from IndexedDB.
    const resumed = await reloadApp(page);
    assert.equal(resumed.state, "ready", resumed.text);
    assert.match(resumed.text, /Resumed from IndexedDB/);
    const shown = await shownMessages(page);
    assert.deepEqual(shown.slice(0, 2).map((m) => m.kind), ["user", "agent"]);
    assert.equal(shown[0]!.text, `Remember the code word ${marker}`);
    const turn2 = await sendPrompt(page, "What was the code word?");
    const report = parseAgentContext(turn2.reply);
    assert.equal(report?.replay, true, "the agent got the decrypted conversation replayed");
    assert.ok(!(await rawIndexedDb(page, ENCRYPTED_DATABASE_NAME)).includes(marker));
    assert.deepEqual(problems.messages, []);
    await page.context().close();
  });

  it("?redact=1: the reply shows the secrets, IndexedDB holds no piece of any of them", async () => {
    const { page, problems, status } = await openApp(harness!, "?redact=1");
    assert.equal(status.state, "ready", status.text);
    const turn = await sendPrompt(page, `/tool ${textWithSecrets()}`);
    assert.equal(turn.status.state, "ready", turn.status.text);
    assert.ok(turn.reply.includes(PLANTED.anthropic), "the live reply on screen is the original");
    const raw = await rawIndexedDb(page, DATABASE_NAME);
    assert.ok(raw.includes("[REDACTED:anthropic_key]"));
    assert.deepEqual(piecesIn(raw), []);
    assert.deepEqual(problems.messages, []);
    await page.context().close();
  });
});
