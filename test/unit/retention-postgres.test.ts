import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { tableNames } from "../../drivers/postgres/names.js";
import { trimStatements } from "../../drivers/postgres/retention.js";
import { recordedTurns } from "../../src/conformance/turns.js";
import { applyRetention } from "../../src/lifecycle/retention.js";
import { hasSessionActivity } from "../../src/persist/activity.js";
import { adminPool, postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";

const freshSchema = schemasDroppedAfterAll();
const admin = adminPool();
afterAll(() => admin.end());

describe("PostgreSQL retention path", () => {
  it("a trim is one statement per session: a range DELETE on the (session_id, event_index) index (not a scan) with the marker's INSERT", async () => {
    const schema = freshSchema("ret");
    // Every statement the driver sends, seen on each connection of its pool.
    const sent: string[] = [];
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 4 });
    pool.on("connect", (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
        const first = args[0] as string | { text?: string };
        sent.push(typeof first === "string" ? first : (first.text ?? ""));
        return query(...args);
      };
    });
    const driver = new PostgresSessionPersistDriver({ pool, schema });
    // 20 sessions of 200 events: enough rows that the planner prefers the index.
    for (let s = 0; s < 20; s++) {
      const id = `s${s}`;
      await driver.updateSession({ id, agent: "mock", agentSessionId: "a", lastConnectionId: "c", createdAt: 1 + s });
      await driver.insertEvents(id, recordedTurns({ sessionId: id, turns: 50 }));
    }
    await admin.query(`ANALYZE "${schema}".durable_agent_events`);
    const { deleteBefore } = trimStatements(tableNames(schema, "durable_agent_"));
    const client = await admin.connect();
    try {
      await client.query("BEGIN");
      const plan = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${deleteBefore.text.replace("$1", "'s3'").replace("$2", "160")}`);
      const text = plan.rows.map((r) => r["QUERY PLAN"]).join("\n");
      expect(text).toMatch(/Index (Only )?Scan using durable_agent_events_order|Bitmap Index Scan on durable_agent_events_order/);
      expect(text).not.toMatch(/Seq Scan/);
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }

    // A retention pass: one statement per trimmed session, never one per event.
    sent.length = 0;
    const report = await applyRetention(driver, { maxEventsPerSession: 41, replay: { maxEvents: 2 } }, { now: 2 });
    expect(report.trimmedSessions).toHaveLength(20);
    expect(report.removedEvents).toBe(20 * 160);
    const rows = await admin.query<{ n: string; lo: string }>(`SELECT count(*)::text AS n, min(event_index)::text AS lo FROM "${schema}".durable_agent_events`);
    expect(rows.rows[0]).toEqual({ n: String(20 * 41), lo: "159" });
    // Every statement that writes: one per trimmed session, the range delete and the marker's insert together.
    const writes = sent.filter((sql) => /\b(DELETE|INSERT|UPDATE)\b/i.test(sql) && !/^\s*(BEGIN|COMMIT|ROLLBACK)/i.test(sql));
    expect(writes).toHaveLength(20);
    for (const sql of writes) expect(sql).toMatch(/^WITH deleted AS \(DELETE FROM .* WHERE session_id = \$1 AND event_index < \$2 RETURNING 1\)/);
    expect(sent.filter((sql) => /^\s*BEGIN/i.test(sql))).toEqual([]);
    // Reads: one activity query for the 20 sessions (no tail read per session), one page of each session trimmed.
    expect(hasSessionActivity(driver)).toBe(true);
    expect(sent.filter((sql) => sql.includes("AS first_index"))).toHaveLength(1);
    expect(sent.filter((sql) => /ORDER BY event_index DESC/.test(sql))).toEqual([]);
    expect(sent.filter((sql) => /WHERE session_id = \$1 AND event_index > \$2 ORDER BY event_index LIMIT/.test(sql))).toHaveLength(20);
    await driver.close();
    await pool.end();
  }, 60_000);
});
