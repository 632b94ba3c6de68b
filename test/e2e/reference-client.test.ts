import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as reference from "sandbox-agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import { SandboxAgent } from "../../src/index.js";
import { allEvents, isGapFree, promptReport } from "../support/client.js";

// Switching from the reference client (sandbox-agent 0.4.2) costs an import line: its drivers
// work with this client, this project's drivers work when handed to it, and sessions it
// recorded are resumed here.
describe("compatibility with the reference client", () => {
  let runtime: RuntimeHandle;
  let dir: string;

  beforeAll(async () => {
    runtime = await startRuntime();
    dir = mkdtempSync(join(tmpdir(), "durable-agent-compat-"));
  });
  afterAll(async () => {
    await runtime?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("our SQLite driver under the reference client, then the same session resumed by this client", async () => {
    const persist = new SQLiteSessionPersistDriver({ filename: join(dir, "shared.db") });
    const old = await reference.SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist });
    const session = await old.createSession({ id: "legacy", agent: "mock" });
    await session.prompt([{ type: "text", text: "recorded by the reference client" }]);
    await new Promise((resolve) => setTimeout(resolve, 200)); // it persists fire-and-forget
    await old.dispose();
    const recorded = await allEvents(persist, "legacy");
    expect(recorded.length).toBeGreaterThan(0);
    expect((await persist.getSession("legacy"))?.agent).toBe("mock");

    const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist });
    const resumed = await sdk.resumeSession("legacy");
    const { report, events } = await promptReport(resumed, "continued by durable-agent");
    expect(report.replay).toBe(true);
    const sent = events.find((e) => "method" in e.payload && e.payload.method === "session/prompt")!;
    expect(JSON.stringify(sent.payload)).toContain("recorded by the reference client");
    const all = await allEvents(persist, "legacy");
    expect(new Set(all.map((e) => e.eventIndex)).size).toBe(all.length);
    await sdk.dispose();
    await persist.close();
  });

  it("the reference client's in-memory driver (base methods only) under this client", async () => {
    const persist = new reference.InMemorySessionPersistDriver({ maxEventsPerSession: 10_000 });
    const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist });
    const session = await sdk.createSession({ id: "ref-driver", agent: "mock" });
    const { report } = await promptReport(session, "hello");
    expect(report.turn).toBe(1);
    expect(isGapFree(await allEvents(persist, "ref-driver"))).toBe(true);
    await sdk.dispose();
  });
});
