// `durable-agent verify` on every store kind: a sound store exits 0; planted problems (a gap
// in the indexes, a payload that is not a JSON-RPC envelope, an event whose payload cannot
// be read or is not an object) exit 1 and are named, session and index.
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { adminPool } from "../support/postgres.js";
import { CLI_STORE_KINDS, jsonOf, recordedSession, runCli, seedStore, testStores } from "../support/cli.js";

const freshStore = testStores();

interface VerifyReport {
  ok: boolean;
  sessions: number;
  events: number;
  problems: { kind: string; sessionId: string; eventIndex?: number; detail: string }[];
  error?: { code: string; exitCode: number };
}

describe.each(CLI_STORE_KINDS)("durable-agent verify on %s", (kind) => {
  it("names a gap and a payload that is not a JSON-RPC envelope (exit 1); a sound session passes", async () => {
    const store = freshStore(kind, "verify");
    const driver = store.open();
    await seedStore(driver, 2);
    // A session written with a hole: indexes 0..5, then 9 (6, 7 and 8 missing).
    const gappy = recordedSession("gappy", 1_700_000_100_000, 1);
    await driver.updateSession(gappy.record);
    await driver.insertEvents("gappy", gappy.events.slice(0, 6));
    await driver.insertEvent("gappy", { ...gappy.events[9]! });
    // A session whose event 2 is JSON but no envelope.
    const junk = recordedSession("junk", 1_700_000_200_000, 1);
    await driver.updateSession(junk.record);
    junk.events[2] = { ...junk.events[2]!, payload: { hello: "world" } as never };
    await driver.insertEvents("junk", junk.events);
    await driver.close();

    const result = await runCli(["verify", store.url, "--json"]);
    expect(result.code, result.stderr).toBe(1);
    const report = jsonOf<VerifyReport>(result);
    expect(report.ok).toBe(false);
    expect(report.error).toMatchObject({ code: "cli.check_failed", exitCode: 1 });
    expect(report.problems).toEqual([
      { kind: "gap", sessionId: "gappy", eventIndex: 9, detail: "3 event(s) missing before it (#6..#8)" },
      { kind: "payload", sessionId: "junk", eventIndex: 2, detail: expect.stringContaining("not a JSON-RPC 2.0") },
    ]);

    const text = await runCli(["verify", store.url]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("gappy #9: gap: 3 event(s) missing before it (#6..#8)");
    expect(text.stdout).toContain("2 problem(s)");

    // Only the sound sessions: exit 0.
    const sound = await runCli(["verify", store.url, "ticket-0", "ticket-1"]);
    expect(sound.code, sound.stdout).toBe(0);
    expect(sound.stdout).toMatch(/^ok: 2 session\(s\)/m);
  });
});

describe("durable-agent verify on corrupt rows", () => {
  it("SQLite: an unparseable payload written behind the driver's back is reported as unreadable (exit 1)", async () => {
    const store = freshStore("sqlite", "corrupt");
    const driver = store.open();
    await seedStore(driver, 2);
    await driver.close();
    const db = new Database(store.where);
    db.prepare("UPDATE durable_agent_events SET payload = ? WHERE session_id = ? AND event_index = ?").run('{"jsonrpc":"2.0",', "ticket-1", 4);
    db.close();
    const result = await runCli(["verify", store.url, "--json"]);
    expect(result.code).toBe(1);
    const report = jsonOf<VerifyReport>(result);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ kind: "unreadable", sessionId: "ticket-1" });
  });

  it("PostgreSQL: a payload rewritten to a JSON array behind the driver's back is a schema problem, named by session and index", async () => {
    const store = freshStore("postgres", "corrupt");
    const driver = store.open();
    await seedStore(driver, 2);
    await driver.close();
    const pool = adminPool();
    try {
      await pool.query(`UPDATE "${store.where}".durable_agent_events SET payload = '[1, 2]'::jsonb WHERE session_id = 'ticket-0' AND event_index = 3`);
    } finally {
      await pool.end();
    }
    const result = await runCli(["verify", store.url, "--json"]);
    expect(result.code).toBe(1);
    const report = jsonOf<VerifyReport>(result);
    expect(report.problems).toEqual([{ kind: "schema", sessionId: "ticket-0", eventIndex: 3, detail: expect.stringContaining("payload") }]);
  });
});
