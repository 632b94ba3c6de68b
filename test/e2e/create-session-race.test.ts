import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { SandboxAgent, SessionExistsError } from "../../src/index.js";
import { allEvents, STORES } from "../support/client.js";

// createSession claims the id in the store (insertSession) before it asks the runtime for
// anything, so clients racing on one id cannot both create it: one wins, the others get
// SessionExistsError, and the stored record stays the winner's.

/** What a contender process reports. */
interface Verdict {
  name: string;
  won: boolean;
  agentSessionId?: string;
  lastConnectionId?: string;
  error?: string;
  code?: string;
}

/** Start a contender process and resolve once it is connected and waiting for the start line. */
async function contender(runtime: RuntimeHandle, file: string, sessionId: string, name: string) {
  const script = join(process.cwd(), "test/support/create-race-client.ts");
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--import", "tsx", script, file, runtime.baseUrl, sessionId, name], {
    env: { ...process.env, DURABLE_AGENT_TEST_TOKEN: runtime.token },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`contender ${name} exited early: ${stderr}`);
    return value as string;
  };
  expect(await next()).toBe("ready");
  return {
    start: () => child.stdin.end("go\n"),
    verdict: async () => JSON.parse(await next()) as Verdict,
  };
}

describe("createSession races on one id (real runtime)", () => {
  let runtime: RuntimeHandle;

  beforeAll(async () => {
    runtime = await startRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it("four processes on one SQLite file: exactly one creates it, the others get SessionExistsError, the record is the winner's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-create-race-"));
    const file = join(dir, "sessions.db");
    try {
      new SQLiteSessionPersistDriver({ filename: file }).close(); // migrate once, so the race is about the session only
      const names = ["p1", "p2", "p3", "p4"];
      const contenders = await Promise.all(names.map((name) => contender(runtime, file, "raced", name)));
      for (const c of contenders) c.start();
      const verdicts = await Promise.all(contenders.map((c) => c.verdict()));

      const winners = verdicts.filter((v) => v.won);
      expect(winners, JSON.stringify(verdicts)).toHaveLength(1);
      const winner = winners[0]!;
      for (const loser of verdicts.filter((v) => !v.won)) expect(loser).toMatchObject({ error: "SessionExistsError", code: "session.exists" });

      const driver = new SQLiteSessionPersistDriver({ filename: file });
      try {
        const record = await driver.getSession("raced");
        expect(record).toMatchObject({
          id: "raced",
          agent: "mock",
          agentSessionId: winner.agentSessionId,
          lastConnectionId: winner.lastConnectionId,
          sessionInit: { cwd: `/${winner.name}` },
        });
        expect(winner.agentSessionId).not.toBe("");
        const events = await allEvents(driver, "raced");
        expect(events.length).toBeGreaterThan(0);
        expect(events.every((e) => e.connectionId === winner.lastConnectionId)).toBe(true);
      } finally {
        await driver.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [storeName, makeStore] of Object.entries(STORES)) {
    it(`two clients on one ${storeName} store: one wins, the loser gets SessionExistsError and leaves the winner's record alone`, async () => {
      const store = makeStore();
      const connect = () => SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: store.driver });
      const [a, b] = await Promise.all([connect(), connect()]);
      try {
        const results = await Promise.allSettled([a, b].map((sdk, i) => sdk.createSession({ id: "raced", agent: "mock", cwd: `/client-${i}` })));
        const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
        const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]).toBeInstanceOf(SessionExistsError);
        const winner = won[0]!;
        const record = await store.driver.getSession("raced");
        expect(record).toMatchObject({ agentSessionId: winner.agentSessionId, lastConnectionId: winner.lastConnectionId });
        expect(record?.sessionInit?.cwd).toBe(results[0]!.status === "fulfilled" ? "/client-0" : "/client-1");
        // The winner's session keeps working, and its later record updates still upsert.
        await winner.prompt("after the race");
        const after = await store.driver.getSession("raced");
        expect(after?.agentSessionId).toBe(winner.agentSessionId);
        await winner.setMode("code");
        expect((await store.driver.getSession("raced"))?.modes?.currentModeId).toBe("code");
      } finally {
        await Promise.all([a.dispose(), b.dispose()]);
        store.cleanup();
      }
    });
  }
});
