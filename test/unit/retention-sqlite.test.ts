import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { tableNames } from "../../drivers/sqlite/names.js";
import { activitySql, trimSql } from "../../drivers/sqlite/retention.js";
import { recordedTurns } from "../../src/conformance/turns.js";
import { applyRetention } from "../../src/lifecycle/retention.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "da-retention-"));
  dirs.push(dir);
  return join(dir, "store.db");
}

describe("SQLite retention path", () => {
  it("a trim is one range DELETE on the events' key (no scan), in one transaction with the marker", async () => {
    const file = tempFile();
    const driver = new SQLiteSessionPersistDriver({ filename: file });
    await driver.updateSession({ id: "s", agent: "mock", agentSessionId: "a", lastConnectionId: "c", createdAt: 1 });
    await driver.insertEvents("s", recordedTurns({ sessionId: "s", turns: 50 }));
    await driver.close();

    // Every statement run, traced: the trim is one DELETE and one INSERT, nothing per event.
    const statements: string[] = [];
    const db = new Database(file, { verbose: (sql) => statements.push(String(sql)) });
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${trimSql(tableNames())}`).all("s", 100) as { detail: string }[];
    const details = plan.map((row) => row.detail).join("\n");
    expect(details).toMatch(/SEARCH .*event_index ?< ?\?/);
    expect(details).not.toMatch(/\bSCAN\b/);

    const traced = new SQLiteSessionPersistDriver({ database: db });
    statements.length = 0;
    const report = await applyRetention(traced, { maxEventsPerSession: 41, replay: { maxEvents: 2 } }, { now: 2 });
    const writes = statements.filter((sql) => /^\s*(DELETE|INSERT|UPDATE)/i.test(sql));
    expect(writes.map((sql) => sql.trim().split(/\s+/)[0])).toEqual(["DELETE", "INSERT"]);
    expect(writes[0]).toMatch(/WHERE session_id = .* AND event_index < /);
    // Reads: one activity query (first/last index and last time per session), no tail read.
    expect(statements.filter((sql) => sql.includes("AS first_index"))).toHaveLength(1);
    expect(statements.filter((sql) => /ORDER BY event_index DESC/.test(sql))).toEqual([]);
    const activityPlan = db.prepare(`EXPLAIN QUERY PLAN ${activitySql(tableNames(), true)}`).all(0, "", 10) as { detail: string }[];
    const activityDetails = activityPlan.map((row) => row.detail).join("\n");
    expect(activityDetails).not.toMatch(/\bSCAN\b/);
    expect(activityDetails.match(/SEARCH e USING (COVERING )?INDEX/g)).toHaveLength(3);
    expect(report.trimmedSessions).toEqual([expect.objectContaining({ sessionId: "s", removedEvents: 160, firstKeptIndex: 160 })]);
    const count = db.prepare(`SELECT count(*) AS n, min(event_index) AS lo FROM "${tableNames().events}" WHERE session_id = ?`).get("s") as { n: number; lo: number };
    expect(count).toEqual({ n: 41, lo: 159 });
    await traced.close();
    db.close();
  });
});
