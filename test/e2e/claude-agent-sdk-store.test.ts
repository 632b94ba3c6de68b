import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getSessionMessages, importSessionToStore, listSessions } from "@anthropic-ai/claude-agent-sdk";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostgresSessionStore } from "../../drivers/postgres.js";
import { SQLiteSessionStore } from "../../drivers/sqlite.js";
import {
  claudeTranscripts,
  conversation,
  makeClaudeSandbox,
  startFakeModel,
  wipeClaudeSandbox,
  type ClaudeSandbox,
  type FakeModel,
} from "../../harness/claude/index.js";
import { answerLastUserText, projectKeyOf, runQuery } from "../support/claude-sdk.js";
import { postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";

// The real Claude Agent SDK (its bundled Claude Code) offline, against the loopback fake
// model, with each store as its `sessionStore`: a session mirrored into the store, the local
// config dir wiped (a lost sandbox), the session resumed from the store alone with the model
// seeing the earlier turn; the SDK's listSessions and getSessionMessages reading the store;
// importSessionToStore of a local session twice storing it once. No mirror_error anywhere.

const freshSchema = schemasDroppedAfterAll();
const root = mkdtempSync(join(tmpdir(), "durable-agent-claude-sdk-store-"));
let counter = 0;

const stores: [string, () => SQLiteSessionStore | PostgresSessionStore][] = [
  ["SQLiteSessionStore", () => new SQLiteSessionStore({ filename: join(root, `store-${++counter}.db`) })],
  ["PostgresSessionStore", () => new PostgresSessionStore({ connectionString: postgresUrl(), schema: freshSchema("sdk") })],
];

let model: FakeModel;
const configDirBefore = process.env.CLAUDE_CONFIG_DIR;

beforeAll(async () => {
  model = await startFakeModel();
  model.script(answerLastUserText);
});

afterAll(async () => {
  await model.close();
  rmSync(root, { recursive: true, force: true });
  if (configDirBefore === undefined) delete process.env.CLAUDE_CONFIG_DIR;
  else process.env.CLAUDE_CONFIG_DIR = configDirBefore;
});

describe.each(stores)("the Claude Agent SDK with %s as sessionStore", (_name, makeStore) => {
  let sandbox: ClaudeSandbox;
  let store: SQLiteSessionStore | PostgresSessionStore;

  beforeEach(() => {
    sandbox = makeClaudeSandbox(mkdtempSync(join(root, "sandbox-")));
    store = makeStore();
    model.clearRequests();
  });

  afterEach(async () => {
    await store.close();
    rmSync(sandbox.root, { recursive: true, force: true });
  });

  it("mirrors a session, then resumes it from the store alone after the config dir is wiped: the model gets the earlier turn", async () => {
    const first = await runQuery(model, sandbox, "Remember the word PAPAYA.", { sessionStore: store });
    expect(first.result.subtype).toBe("success");
    const key = { projectKey: projectKeyOf(sandbox.workspace), sessionId: first.sessionId };
    const stored = (await store.load(key)) ?? [];
    expect(stored.some((e) => e.type === "user" && JSON.stringify(e).includes("Remember the word PAPAYA."))).toBe(true);
    expect(stored.some((e) => e.type === "assistant" && JSON.stringify(e).includes("noted: Remember the word PAPAYA."))).toBe(true);
    expect((await store.listSessions(key.projectKey)).map((s) => s.sessionId)).toEqual([first.sessionId]);

    wipeClaudeSandbox(sandbox);
    expect(claudeTranscripts(sandbox)).toEqual([]);
    model.clearRequests();
    const second = await runQuery(model, sandbox, "Which word was it?", { sessionStore: store, resume: first.sessionId });
    expect(second.result.subtype).toBe("success");
    const seen = conversation(model.lastTurnRequest()?.messages ?? []).join("\n");
    expect(seen).toContain("Remember the word PAPAYA.");
    expect(seen).toContain("noted: Remember the word PAPAYA.");
    expect(seen).toContain("Which word was it?");
    const after = (await store.load(key)) ?? [];
    expect(after.slice(0, stored.length)).toEqual(stored);
    expect(after.some((e) => JSON.stringify(e).includes("Which word was it?"))).toBe(true);
    expect([...first.mirrorErrors, ...second.mirrorErrors]).toEqual([]);
  });

  it("serves the SDK's listSessions and getSessionMessages from the store, with the local transcripts gone", async () => {
    const first = await runQuery(model, sandbox, "First question", { sessionStore: store });
    const second = await runQuery(model, sandbox, "Second question", { sessionStore: store, resume: first.sessionId });
    const other = await runQuery(model, sandbox, "Another session", { sessionStore: store });
    expect([...first.mirrorErrors, ...second.mirrorErrors, ...other.mirrorErrors]).toEqual([]);
    wipeClaudeSandbox(sandbox);

    const listed = await listSessions({ dir: sandbox.workspace, sessionStore: store });
    expect(listed.map((s) => s.sessionId).sort()).toEqual([first.sessionId, other.sessionId].sort());
    const session = listed.find((s) => s.sessionId === first.sessionId);
    expect(session?.firstPrompt).toBe("First question");
    expect(session?.lastModified).toBeGreaterThan(1e12);

    const messages = await getSessionMessages(first.sessionId, { dir: sandbox.workspace, sessionStore: store });
    expect(messages.map((m) => m.type)).toEqual(["user", "assistant", "user", "assistant"]);
    const text = JSON.stringify(messages.map((m) => m.message));
    for (const words of ["First question", "noted: First question", "Second question", "noted: Second question"]) expect(text).toContain(words);
  });

  it("importSessionToStore of a local session twice stores it once, and the import resumes", async () => {
    const local = await runQuery(model, sandbox, "Kept on disk only");
    const [file] = claudeTranscripts(sandbox);
    const lines = readFileSync(file as string, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    process.env.CLAUDE_CONFIG_DIR = sandbox.configDir;
    const key = { projectKey: projectKeyOf(sandbox.workspace), sessionId: local.sessionId };

    await importSessionToStore(local.sessionId, store, { dir: sandbox.workspace });
    const once = await store.load(key);
    expect(once).toEqual(lines);
    await importSessionToStore(local.sessionId, store, { dir: sandbox.workspace });
    expect(await store.load(key)).toEqual(lines);
    const [summary] = await store.listSessionSummaries(key.projectKey);
    expect(summary?.data.firstPrompt).toBe("Kept on disk only");

    wipeClaudeSandbox(sandbox);
    model.clearRequests();
    const resumed = await runQuery(model, sandbox, "Still there?", { sessionStore: store, resume: local.sessionId });
    expect(resumed.result.subtype).toBe("success");
    expect(conversation(model.lastTurnRequest()?.messages ?? []).join("\n")).toContain("Kept on disk only");
    expect(resumed.mirrorErrors).toEqual([]);
  });
});
