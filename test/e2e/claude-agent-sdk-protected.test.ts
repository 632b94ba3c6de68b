import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listSessions } from "@anthropic-ai/claude-agent-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SQLiteSessionStore } from "../../drivers/sqlite.js";
import { conversation, makeClaudeSandbox, startFakeModel, wipeClaudeSandbox, type FakeModel } from "../../harness/claude/index.js";
import { encryptedSessionStore } from "../../src/encryption.js";
import { redactingSessionStore, redactSecrets } from "../../src/index.js";
import { answerLastUserText, projectKeyOf, runQuery } from "../support/claude-sdk.js";
import { sqliteRaw } from "../support/raw-storage.js";
import { piecesIn, PLANTED } from "../support/secrets.js";

// The real Claude Agent SDK (its bundled Claude Code, offline against the loopback fake model)
// with the session store decorators as its sessionStore: what the SDK mirrors reaches the
// SQLite file redacted, or encrypted, and a session resumes from the encrypted store alone.

const root = mkdtempSync(join(tmpdir(), "durable-agent-claude-protected-"));
let model: FakeModel;

beforeAll(async () => {
  model = await startFakeModel();
  model.script(answerLastUserText);
});

afterAll(async () => {
  await model.close();
  rmSync(root, { recursive: true, force: true });
});

describe("the Claude Agent SDK with protected session stores", () => {
  it("redactingSessionStore: the prompt's and the reply's secrets are not in the SQLite file; no mirror_error", async () => {
    const sandbox = makeClaudeSandbox(mkdtempSync(join(root, "sandbox-")));
    const filename = join(root, "redacted.db");
    const inner = new SQLiteSessionStore({ filename });
    const redact = redactSecrets();
    const store = redactingSessionStore(inner, (entry) => redact(entry));
    try {
      const prompt = `Deploy with ${PLANTED.anthropic} and ${PLANTED.github}, token Bearer ${PLANTED.bearer}`;
      const run = await runQuery(model, sandbox, prompt, { sessionStore: store });
      expect(run.result.subtype).toBe("success");
      expect(run.mirrorErrors).toEqual([]);
      const stored = JSON.stringify(await store.load({ projectKey: projectKeyOf(sandbox.workspace), sessionId: run.sessionId }));
      expect(stored).toContain("[REDACTED:anthropic_key]");
      expect(stored).toContain("noted: Deploy with [REDACTED:anthropic_key]");
    } finally {
      await inner.close();
    }
    expect(piecesIn(sqliteRaw(filename))).toEqual([]);
  });

  it("encryptedSessionStore: no plaintext in the SQLite file; with the local transcript gone the session resumes from the store and the SDK lists it", async () => {
    const sandbox = makeClaudeSandbox(mkdtempSync(join(root, "sandbox-")));
    const filename = join(root, "encrypted.db");
    const inner = new SQLiteSessionStore({ filename });
    const store = encryptedSessionStore(inner, { keys: [{ id: "sdk-1", key: crypto.getRandomValues(new Uint8Array(32)) }] });
    const marker = `PLAINTEXT-MARKER-${crypto.randomUUID()}`;
    try {
      const first = await runQuery(model, sandbox, `Remember ${marker}`, { sessionStore: store });
      expect(first.result.subtype).toBe("success");
      expect(first.mirrorErrors).toEqual([]);
      expect(sqliteRaw(filename)).not.toContain(marker);

      wipeClaudeSandbox(sandbox);
      model.clearRequests();
      const second = await runQuery(model, sandbox, "What was it?", { sessionStore: store, resume: first.sessionId });
      expect(second.result.subtype).toBe("success");
      expect(conversation(model.lastTurnRequest()?.messages ?? []).join("\n")).toContain(`Remember ${marker}`);
      const listed = await listSessions({ dir: sandbox.workspace, sessionStore: store });
      expect(listed.map((s) => s.sessionId)).toEqual([first.sessionId]);
      expect(listed[0]?.firstPrompt).toBe(`Remember ${marker}`);
    } finally {
      await inner.close();
    }
    expect(sqliteRaw(filename)).not.toContain(marker);
  });
});
