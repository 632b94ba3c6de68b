// `npm run demo -- --agent claude` as a user (or CI) runs it: bash scripts/demo.sh in a child
// process, no terminal; Claude Code through its ACP adapter against the fake model.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { pidsInGroup } from "../../harness/index.js";
import { allEvents, isGapFree } from "../support/client.js";
import { explainRun, runDemo } from "../support/demo-run.js";

const RUN_TIMEOUT_MS = 90_000;

describe("npm run demo -- --agent claude", () => {
  const dir = mkdtempSync(join(tmpdir(), "durable-agent-claude-demo-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("tells the whole story on sandbox-agent: load after a restart and for a fresh client, replay after a lost sandbox; nothing left running", { timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
    const file = join(dir, "demo.db");
    const run = await runDemo(["--agent", "claude", "--store", `sqlite:${file}`], RUN_TIMEOUT_MS);
    const explain = explainRun(run);
    expect(run.code, explain).toBe(0);
    // Nothing printed besides the story: no console noise from the SDK or the ACP SDK.
    expect(run.stderr, explain).toBe("");
    const out = run.stdout;
    expect(out).toContain("agent> echo: Remember the code word: pineapple.");
    expect(out).toMatch(/permission asked \(options allow_always\/allow\/reject\)/);
    expect(out).toMatch(/tool call: touch .*demo-note\.txt \(execute\) -> completed/);
    expect(out).toContain("restored after the runtime restart: load");
    expect(out).toMatch(/the model's request \(claude-[^)]+\) held 7 messages \(uauauau\)/);
    expect(out).toContain("resumed in a fresh client: load");
    expect(out).toMatch(/held 9 messages \(uauauauau\)/);
    expect(out).toContain("restored: replay");
    expect(out).toContain("| User: Remember the code word: pineapple.");
    expect(out).toMatch(/held 1 messages \(u\):\n\s+\| user: \[durable-agent replay\]/);
    expect(out).toMatch(/Demo complete in \d+ ms/);

    // The store holds the whole history, gap-free across the four connections.
    const sessionId = /create session "([^"]+)"/.exec(out)![1]!;
    const driver = new SQLiteSessionPersistDriver({ filename: file });
    try {
      const events = await allEvents(driver, sessionId);
      expect(isGapFree(events)).toBe(true);
      expect(new Set(events.map((e) => e.connectionId)).size).toBe(4);
    } finally {
      await driver.close();
    }
    // Every runtime the demo started is gone, with the Claude Code processes in its group.
    const groups = [...out.matchAll(/\bpid (\d+)/g)].map((m) => Number(m[1]));
    expect(groups.length).toBeGreaterThan(0);
    for (const pgid of groups) expect(pidsInGroup(pgid), `process group ${pgid}`).toEqual([]);
  });
});
