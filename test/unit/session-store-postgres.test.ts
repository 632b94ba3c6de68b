import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  POSTGRES_SCHEMA_VERSION,
  POSTGRES_SESSION_STORE_SCHEMA_VERSION,
  PostgresSchemaVersionError,
  PostgresSessionPersistDriver,
  PostgresSessionStore,
} from "../../drivers/postgres.js";
import { LOAD_PAGE } from "../../drivers/postgres/session-store/backend.js";
import { sessionStoreNames } from "../../drivers/postgres/session-store/names.js";
import { buildSessionStoreStatements } from "../../drivers/postgres/session-store/statements.js";
import { adminPool, postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";

// PostgresSessionStore beyond the conformance suite: options, its schema beside the driver's,
// a newer schema refused, one round trip per append when this process wrote last (and a
// correct append when another one did), listings along their index, loads across pages,
// retention.

const freshSchema = schemasDroppedAfterAll();
let admin: pg.Pool;
beforeAll(() => {
  admin = adminPool();
});
afterAll(async () => {
  await admin.end();
});

const key = { projectKey: "-srv-app", sessionId: "s-1" };
const entry = (n: number) => ({ type: n % 2 === 0 ? "user" : "assistant", uuid: `u-${n}`, n, message: { role: "user", content: `line ${n}` } });

/** A pool that counts the queries sent through it (`pool.query` and checked-out clients alike). */
function countingPool(): { pool: pg.Pool; sent: string[] } {
  const pool = new pg.Pool({ connectionString: postgresUrl(), max: 4 });
  pool.on("error", () => undefined);
  const sent: string[] = [];
  const original = pg.Client.prototype.query;
  pool.on("connect", (client) => {
    client.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string };
      sent.push(typeof first === "string" ? first : (first.text ?? ""));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as never;
  });
  return { pool, sent };
}

describe("PostgresSessionStore options and schema", () => {
  it("refuses bad options before connecting", () => {
    expect(() => new PostgresSessionStore({ schema: "Bad-Name" })).toThrow(/options.schema/);
    expect(() => new PostgresSessionStore({ tablePrefix: "x".repeat(40) })).toThrow(/session store's table names/);
    expect(() => new PostgresSessionStore({ connectionString: "host=db", schema: "s" })).toThrow(/connectionString/);
    expect(() => new PostgresSessionStore({ connectionString: postgresUrl(), pool: admin })).toThrow(/not both/);
  });

  it("lives beside the driver in one schema, under one prefix, each with its own migrations table, on a pool it leaves open", async () => {
    const schema = freshSchema("shared");
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 4 });
    const driver = new PostgresSessionPersistDriver({ pool, schema, tablePrefix: "app_" });
    const store = new PostgresSessionStore({ pool, schema, tablePrefix: "app_" });
    await store.append(key, [entry(0)]);
    await driver.listSessions();
    await store.close();
    await driver.close();
    const { rows } = await pool.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", [schema]);
    expect(rows.map((r) => r.tablename)).toEqual([
      "app_claude_entries",
      "app_claude_schema_migrations",
      "app_claude_transcripts",
      "app_events",
      "app_schema_migrations",
      "app_sessions",
    ]);
    const version = async (table: string) => (await pool.query(`SELECT max(version) AS v FROM "${schema}"."${table}"`)).rows[0].v as number;
    expect(await version("app_claude_schema_migrations")).toBe(POSTGRES_SESSION_STORE_SCHEMA_VERSION);
    expect(await version("app_schema_migrations")).toBe(POSTGRES_SCHEMA_VERSION);
    await pool.end();
  });

  it("refuses a schema whose store tables were migrated by a newer build", async () => {
    const schema = freshSchema("newer");
    const store = new PostgresSessionStore({ connectionString: postgresUrl(), schema });
    await store.append(key, [entry(0)]);
    await store.close();
    await admin.query(`INSERT INTO "${schema}".durable_agent_claude_schema_migrations (version, name) VALUES ($1, 'from the future')`, [
      POSTGRES_SESSION_STORE_SCHEMA_VERSION + 1,
    ]);
    const again = new PostgresSessionStore({ connectionString: postgresUrl(), schema });
    const error = await again.load(key).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresSchemaVersionError);
    expect((error as PostgresSchemaVersionError).foundVersion).toBe(POSTGRES_SESSION_STORE_SCHEMA_VERSION + 1);
    await again.close();
  });
});

describe("PostgresSessionStore appends", () => {
  it("cost one statement each while this process wrote the session last, and stay exact when another process wrote in between", async () => {
    const schema = freshSchema("trips");
    const { pool, sent } = countingPool();
    const store = new PostgresSessionStore({ pool, schema });
    const other = new PostgresSessionStore({ connectionString: postgresUrl(), schema });
    await store.append(key, [entry(0)]); // creates the session (and migrates)
    sent.length = 0;
    for (let n = 1; n <= 5; n++) await store.append(key, [entry(n)]);
    expect(sent).toHaveLength(5);
    await other.append(key, [entry(6), { type: "custom-title", customTitle: "Renamed elsewhere" }]);
    sent.length = 0;
    await store.append(key, [entry(7)]); // its known state is stale: the locked path
    expect(sent[0]).toMatch(/^WITH t AS \( UPDATE/);
    expect(sent).toContain("BEGIN");
    await store.append(key, [entry(8)]);
    expect(((await store.load(key)) ?? []).map((e) => e.uuid ?? e.type)).toEqual([...Array.from({ length: 7 }, (_, n) => `u-${n}`), "custom-title", "u-7", "u-8"]);
    expect((await store.listSessionSummaries(key.projectKey))[0]?.data.customTitle).toBe("Renamed elsewhere");
    await store.close();
    await other.close();
    await pool.end();
  });

  it("store a replayed batch once whichever path they take", async () => {
    const schema = freshSchema("replay");
    const store = new PostgresSessionStore({ connectionString: postgresUrl(), schema });
    const batch = [entry(0), { type: "last-prompt", lastPrompt: "x" }, entry(1)];
    for (const k of [key, { ...key, subpath: "subagents/agent-1" }]) {
      await store.append(k, batch);
      await store.append(k, batch); // fast path refused by the uuid index, then the locked path
      const fresh = new PostgresSessionStore({ connectionString: postgresUrl(), schema });
      await fresh.append(k, batch); // no known state: refused creation, then the locked path
      await fresh.close();
      expect(await store.load(k)).toEqual(batch);
    }
    await store.close();
  });
});

describe("PostgresSessionStore reads", () => {
  it("load transcripts across page boundaries whole and in order", async () => {
    const schema = freshSchema("pages");
    const store = new PostgresSessionStore({ connectionString: postgresUrl(), schema });
    for (const size of [LOAD_PAGE, LOAD_PAGE + 1, 2 * LOAD_PAGE + 7]) {
      const k = { ...key, sessionId: `size-${size}` };
      const all = Array.from({ length: size }, (_, n) => entry(n));
      for (let at = 0; at < size; at += 1000) await store.append(k, all.slice(at, at + 1000));
      expect(await store.load(k)).toEqual(all);
    }
    await store.close();
  }, 60_000);

  it("list sessions and summaries along the partial index of main transcripts, whatever the project holds", async () => {
    const schema = freshSchema("plans");
    const store = new PostgresSessionStore({ connectionString: postgresUrl(), schema });
    await store.append(key, [entry(0)]);
    const names = sessionStoreNames(schema, "durable_agent_");
    await admin.query(
      `INSERT INTO ${names.transcripts} (project_key, session_id, subpath, mtime, last_seq, summary)
       SELECT 'p' || (i % 50), 's' || i, CASE WHEN i % 3 = 0 THEN 'subagents/a' ELSE '' END, 1, 1, '{}' FROM generate_series(1, 20000) AS i`,
    );
    await admin.query(`ANALYZE ${names.transcripts}`);
    const sql = buildSessionStoreStatements(names);
    for (const statement of [sql.sessions, sql.summaries]) {
      const client = await admin.connect();
      try {
        await client.query(`PREPARE q AS ${statement.text}`);
        const { rows } = await client.query("EXPLAIN (FORMAT JSON) EXECUTE q('p7')");
        const text = JSON.stringify(rows[0]["QUERY PLAN"]);
        expect(text).toContain('"Index Name":"durable_agent_claude_sessions"');
        expect(text).not.toContain("Seq Scan");
        await client.query("DEALLOCATE q");
      } finally {
        client.release();
      }
    }
    await store.close();
  });

  it("prune sessions idle since a time, with their subagent transcripts, per project or all", async () => {
    const schema = freshSchema("prune");
    const store = new PostgresSessionStore({ connectionString: postgresUrl(), schema });
    const old = { projectKey: "p", sessionId: "old" };
    await store.append(old, [entry(0)]);
    await store.append({ ...old, subpath: "subagents/a" }, [entry(1)]);
    await store.append({ projectKey: "q", sessionId: "old" }, [entry(2)]);
    const { rows } = await admin.query(`SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 + 5 AS cutoff`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.append({ projectKey: "p", sessionId: "fresh" }, [entry(3)]);
    expect(await store.pruneSessions({ before: rows[0].cutoff as number, projectKey: "p" })).toBe(1);
    expect(await store.load(old)).toBeNull();
    expect(await store.listSubkeys(old)).toEqual([]);
    expect((await store.listSessions("p")).map((s) => s.sessionId)).toEqual(["fresh"]);
    expect(await store.pruneSessions({ before: rows[0].cutoff as number })).toBe(1);
    expect(await store.listSessions("q")).toEqual([]);
    const left = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".durable_agent_claude_entries`);
    expect(left.rows[0].n).toBe(1);
    await store.close();
  });
});
