import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { PostgresSchemaVersionError, PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { SQLiteSchemaVersionError, SQLiteSessionPersistDriver, SQLITE_SCHEMA_VERSION } from "../../drivers/sqlite.js";
import type { AgentStateStorage } from "../../src/persist/agent-state.js";
import { adminPool, postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";

// The agent state tables of the SQL drivers live on a migration track of their own: created
// next to the driver's tables without touching its version, recorded in their own version
// table, and a database whose agent state track is newer than this release is refused with
// the driver's schema version error, changing nothing.

const dir = mkdtempSync(join(tmpdir(), "durable-agent-agent-state-schema-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const freshSchema = schemasDroppedAfterAll();
const bytes = new TextEncoder().encode("line\n");

describe("SQLite: the agent state migration track", () => {
  it("creates its tables and records version 1 in its own table; the driver's version is unchanged", async () => {
    const filename = join(dir, "track.db");
    const driver = new SQLiteSessionPersistDriver({ filename }) as SQLiteSessionPersistDriver & AgentStateStorage;
    await driver.appendAgentState("s", "t.jsonl", 0, bytes);
    await driver.close();
    const db = new Database(filename, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'durable_agent_agent_state%' ORDER BY name").all();
      assert.deepEqual(tables, [
        { name: "durable_agent_agent_state_chunks" },
        { name: "durable_agent_agent_state_files" },
        { name: "durable_agent_agent_state_schema_version" },
      ]);
      assert.deepEqual(db.prepare("SELECT version FROM durable_agent_agent_state_schema_version").all(), [{ version: 1 }]);
      assert.deepEqual(db.prepare("SELECT MAX(version) AS v FROM durable_agent_schema_version").get(), { v: SQLITE_SCHEMA_VERSION });
      assert.deepEqual(db.prepare("SELECT session_id, path, chunk_offset, length(data) AS n FROM durable_agent_agent_state_chunks").all(), [
        { session_id: "s", path: "t.jsonl", chunk_offset: 0, n: bytes.byteLength },
      ]);
    } finally {
      db.close();
    }
  });

  it("reads a file's chunks and a session's files along the primary keys (no table scan)", async () => {
    const filename = join(dir, "plans.db");
    const driver = new SQLiteSessionPersistDriver({ filename }) as SQLiteSessionPersistDriver & AgentStateStorage;
    await driver.appendAgentState("s", "t.jsonl", 0, bytes);
    await driver.close();
    const db = new Database(filename, { readonly: true });
    try {
      const plan = (sql: string) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all("s", "t.jsonl") as { detail: string }[]).map((row) => row.detail).join("; ");
      const chunks = plan("SELECT data FROM durable_agent_agent_state_chunks WHERE session_id = ? AND path = ? ORDER BY chunk_offset");
      assert.match(chunks, /SEARCH .*USING .*INDEX .*\(session_id=\? AND path=\?\)/, chunks);
      assert.doesNotMatch(chunks, /TEMP B-TREE/, `no sort: ${chunks}`);
      const size = plan("SELECT size FROM durable_agent_agent_state_files WHERE session_id = ? AND path = ?");
      assert.match(size, /SEARCH .*PRIMARY KEY/, size);
      const list = (db.prepare("EXPLAIN QUERY PLAN SELECT path, size, updated_at FROM durable_agent_agent_state_files WHERE session_id = ? ORDER BY path").all("s") as { detail: string }[])
        .map((row) => row.detail)
        .join("; ");
      assert.match(list, /SEARCH .*PRIMARY KEY \(session_id=\?\)/, list);
      assert.doesNotMatch(list, /TEMP B-TREE/, `no sort: ${list}`);
    } finally {
      db.close();
    }
  });

  it("refuses a database whose agent state track is newer, and changes nothing", async () => {
    const filename = join(dir, "newer.db");
    const driver = new SQLiteSessionPersistDriver({ filename }) as SQLiteSessionPersistDriver & AgentStateStorage;
    await driver.appendAgentState("s", "t.jsonl", 0, bytes);
    await driver.close();
    const db = new Database(filename);
    db.prepare("INSERT INTO durable_agent_agent_state_schema_version (version, applied_at) VALUES (2, 0)").run();
    db.close();
    assert.throws(() => new SQLiteSessionPersistDriver({ filename }), (error: unknown) => {
      assert.ok(error instanceof SQLiteSchemaVersionError);
      assert.equal(error.foundVersion, 2);
      assert.equal(error.supportedVersion, 1);
      return true;
    });
    const check = new Database(filename, { readonly: true });
    try {
      assert.deepEqual(check.prepare("SELECT COUNT(*) AS n FROM durable_agent_agent_state_chunks").get(), { n: 1 });
    } finally {
      check.close();
    }
  });
});

describe("PostgreSQL: the agent state migration track", () => {
  it("creates its tables on first use, recorded in their own table; the driver's migrations are unchanged", async () => {
    const schema = freshSchema("astrack");
    const driver = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema }) as PostgresSessionPersistDriver & AgentStateStorage;
    const admin = adminPool();
    try {
      await driver.getSession("nope");
      const before = await admin.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema]);
      assert.ok(!before.rows.some((r: { table_name: string }) => r.table_name.startsWith("durable_agent_agent_")), "not before agent state is used");
      await driver.appendAgentState("s", "t.jsonl", 0, bytes);
      const tables = await admin.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema]);
      assert.deepEqual(
        tables.rows.map((r: { table_name: string }) => r.table_name).filter((name: string) => name.startsWith("durable_agent_agent_")),
        ["durable_agent_agent_chunks", "durable_agent_agent_files", "durable_agent_agent_migrations"],
      );
      const versions = await admin.query(`SELECT version, name FROM "${schema}".durable_agent_agent_migrations`);
      assert.deepEqual(versions.rows, [{ version: 1, name: "agent state files and chunks" }]);
      const main = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".durable_agent_schema_migrations`);
      assert.deepEqual(main.rows, [{ n: 1 }]);
    } finally {
      await driver.close();
      await admin.end();
    }
  });

  it("refuses a schema whose agent state track is newer, and changes nothing", async () => {
    const schema = freshSchema("asnewer");
    const first = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema }) as PostgresSessionPersistDriver & AgentStateStorage;
    await first.appendAgentState("s", "t.jsonl", 0, bytes);
    await first.close();
    const admin = adminPool();
    try {
      await admin.query(`INSERT INTO "${schema}".durable_agent_agent_migrations (version, name) VALUES (2, 'from the future')`);
      const driver = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema }) as PostgresSessionPersistDriver & AgentStateStorage;
      try {
        await assert.rejects(driver.appendAgentState("s", "t.jsonl", 5, bytes), (error: unknown) => {
          assert.ok(error instanceof PostgresSchemaVersionError, String(error));
          assert.equal(error.foundVersion, 2);
          return true;
        });
        await assert.rejects(driver.readAgentState("s", "t.jsonl"), PostgresSchemaVersionError);
      } finally {
        await driver.close();
      }
      const chunks = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".durable_agent_agent_chunks`);
      assert.deepEqual(chunks.rows, [{ n: 1 }]);
    } finally {
      await admin.end();
    }
  });
});
