import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  SQLITE_SCHEMA_VERSION,
  SQLITE_SESSION_STORE_SCHEMA_VERSION,
  SQLiteSchemaVersionError,
  SQLiteSessionPersistDriver,
  SQLiteSessionStore,
} from "../../drivers/sqlite.js";
import { sessionStoreNames } from "../../drivers/sqlite/session-store/names.js";
import { sessionStoreSql } from "../../drivers/sqlite/session-store/statements.js";

// SQLiteSessionStore beyond the conformance suite: its schema beside the driver's (own version
// table, one file, one prefix), a newer schema refused, the reads that must cost the answer
// along their indexes, uuids in any form, retention.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "durable-agent-sqlite-store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const key = { projectKey: "-home-dev-project", sessionId: "s-1" };

describe("SQLiteSessionStore schema", () => {
  it("lives beside the driver in one file, under one prefix, each with its own version table", async () => {
    const filename = join(dir, "shared.db");
    const driver = new SQLiteSessionPersistDriver({ filename, tablePrefix: "app_" });
    const store = new SQLiteSessionStore({ filename, tablePrefix: "app_" });
    await store.append(key, [{ type: "user", uuid: "u1" }]);
    await driver.close();
    await store.close();
    const db = new Database(filename, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'app_%' ORDER BY name").pluck().all();
    expect(tables).toEqual([
      "app_agent_state_chunks",
      "app_agent_state_files",
      "app_agent_state_schema_version",
      "app_claude_entries",
      "app_claude_schema_version",
      "app_claude_transcripts",
      "app_events",
      "app_lease_schema_version",
      "app_leases",
      "app_schema_version",
      "app_sessions",
    ]);
    expect(db.prepare("SELECT max(version) FROM app_claude_schema_version").pluck().get()).toBe(SQLITE_SESSION_STORE_SCHEMA_VERSION);
    expect(db.prepare("SELECT max(version) FROM app_schema_version").pluck().get()).toBe(SQLITE_SCHEMA_VERSION);
    db.close();
  });

  it("runs on a database handed in, with the driver, and leaves it open", async () => {
    const db = new Database(join(dir, "handed.db"));
    const store = new SQLiteSessionStore({ database: db });
    const driver = new SQLiteSessionPersistDriver({ database: db });
    await store.append(key, [{ type: "user", uuid: "u1" }]);
    await store.close();
    await driver.close();
    expect(db.open).toBe(true);
    expect(db.prepare("SELECT count(*) FROM durable_agent_claude_entries").pluck().get()).toBe(1);
    db.close();
  });

  it("refuses a file whose store tables were migrated by a newer release, and changes nothing", async () => {
    const filename = join(dir, "newer.db");
    const store = new SQLiteSessionStore({ filename });
    await store.append(key, [{ type: "user", uuid: "u1" }]);
    await store.close();
    const db = new Database(filename);
    db.prepare("INSERT INTO durable_agent_claude_schema_version (version, applied_at) VALUES (?, 0)").run(SQLITE_SESSION_STORE_SCHEMA_VERSION + 1);
    db.close();
    let caught: unknown;
    try {
      new SQLiteSessionStore({ filename });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SQLiteSchemaVersionError);
    expect((caught as SQLiteSchemaVersionError).foundVersion).toBe(SQLITE_SESSION_STORE_SCHEMA_VERSION + 1);
    // The driver's own history is another track: it opens the file as before.
    await new SQLiteSessionPersistDriver({ filename }).close();
  });

  it("refuses a table prefix that is not a plain identifier", () => {
    expect(() => new SQLiteSessionStore({ filename: join(dir, "x.db"), tablePrefix: "a b" })).toThrow(/tablePrefix/);
  });
});

describe("SQLiteSessionStore reads", () => {
  /** SQLite's plan for one of the store's statements. */
  function plan(db: Database.Database, name: keyof ReturnType<typeof sessionStoreSql>): string {
    const sql = sessionStoreSql(sessionStoreNames())[name];
    const params = (sql.match(/\?/g) ?? []).map(() => 1);
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join("; ");
  }

  it("list sessions and summaries along the partial index, and load a transcript as a rowid range", async () => {
    const filename = join(dir, "plans.db");
    const store = new SQLiteSessionStore({ filename });
    await store.append(key, [{ type: "user", uuid: "u1" }]);
    await store.close();
    const db = new Database(filename);
    expect(plan(db, "sessions")).toMatch(/USING INDEX durable_agent_claude_sessions/);
    expect(plan(db, "summaries")).toMatch(/USING INDEX durable_agent_claude_sessions/);
    expect(plan(db, "entries")).toMatch(/USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
    expect(plan(db, "subkeys")).toMatch(/USING (COVERING )?INDEX durable_agent_claude_transcripts_key/);
    expect(plan(db, "transcript")).toMatch(/USING INDEX durable_agent_claude_transcripts_key/);
    for (const name of ["sessions", "summaries", "entries", "subkeys", "transcript"] as const) expect(plan(db, name)).not.toMatch(/SCAN|TEMP B-TREE/);
    db.close();
  });
});

describe("SQLiteSessionStore uuids and retention", () => {
  it("de-duplicates uuids in any form, and keeps uuids differing by letter case apart", async () => {
    const store = new SQLiteSessionStore({ filename: ":memory:" });
    const lower = "0b8f3a6e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
    const batch = [
      { type: "user", uuid: lower },
      { type: "user", uuid: lower.toUpperCase() },
      { type: "user", uuid: "not-a-uuid" },
      { type: "user", uuid: "" },
    ];
    await store.append(key, batch);
    await store.append(key, batch);
    expect(await store.load(key)).toEqual(batch);
    await store.close();
  });

  it("prunes sessions idle since a time, subagent transcripts and summaries included, in one project or all", async () => {
    const store = new SQLiteSessionStore({ filename: ":memory:" });
    const old = { projectKey: "p", sessionId: "old" };
    await store.append(old, [{ type: "user", uuid: "1" }]);
    await store.append({ ...old, subpath: "subagents/a" }, [{ type: "user", uuid: "2" }]);
    await store.append({ projectKey: "q", sessionId: "old-elsewhere" }, [{ type: "user", uuid: "3" }]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const cutoff = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const fresh = { projectKey: "p", sessionId: "fresh" };
    await store.append(fresh, [{ type: "user", uuid: "4" }]);
    expect(await store.pruneSessions({ before: cutoff, projectKey: "p" })).toBe(1);
    expect(await store.load(old)).toBeNull();
    expect(await store.listSubkeys(old)).toEqual([]);
    expect((await store.listSessionSummaries("p")).map((s) => s.sessionId)).toEqual(["fresh"]);
    expect(await store.listSessions("q")).toHaveLength(1);
    expect(await store.pruneSessions({ before: cutoff })).toBe(1);
    expect(await store.listSessions("q")).toEqual([]);
    expect(await store.load(fresh)).toHaveLength(1);
    await store.close();
  });
});
