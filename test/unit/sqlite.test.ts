import Database from "better-sqlite3";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  SQLITE_SCHEMA_VERSION,
  SQLiteSessionPersistDriver,
  SQLiteSchemaVersionError,
} from "../../drivers/sqlite.js";
import {
  DriverClosedError,
  EventConflictError,
  PersistValidationError,
  type SessionEvent,
  type SessionRecord,
} from "../../src/persist/index.js";

// Behaviour specific to the SQLite driver: files, connections, migrations, prefixes. The
// shared contract (paging, idempotency, validation...) is covered by the conformance suite.

let dir: string;
let file: string;
const open: SQLiteSessionPersistDriver[] = [];

function driver(options: Partial<ConstructorParameters<typeof SQLiteSessionPersistDriver>[0]> = {}) {
  const d = new SQLiteSessionPersistDriver({ filename: file, ...options } as ConstructorParameters<
    typeof SQLiteSessionPersistDriver
  >[0]);
  open.push(d);
  return d;
}

function event(sessionId: string, eventIndex: number, text = `message ${eventIndex}`): SessionEvent {
  return {
    id: `${sessionId}/${eventIndex}`,
    eventIndex,
    sessionId,
    createdAt: 1_700_000_000_000 + eventIndex,
    connectionId: "conn-1",
    sender: eventIndex % 2 === 0 ? "client" : "agent",
    payload: { jsonrpc: "2.0", method: "session/update", params: { sessionId: "agent-1", update: { text } } },
  };
}

const record = (id: string, extra: Partial<SessionRecord> = {}): SessionRecord => ({
  id,
  agent: "mock",
  agentSessionId: `agent-${id}`,
  lastConnectionId: "conn-1",
  createdAt: 1_700_000_000_000,
  ...extra,
});

function rawDb(): Database.Database {
  const db = new Database(file);
  return db;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "durable-agent-sqlite-"));
  file = join(dir, "sessions.db");
});

afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SQLiteSessionPersistDriver: opening", () => {
  it("puts the file in WAL mode with a busy timeout", () => {
    driver();
    const db = rawDb();
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      db.close();
    }
    const adopted = new Database(join(dir, "other.db"));
    try {
      driver({ filename: undefined, database: adopted });
      expect(adopted.pragma("busy_timeout", { simple: true })).toBe(5000);
      expect(adopted.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    } finally {
      adopted.close();
    }
  });

  it("records each migration once and never re-runs it on reopen", async () => {
    const first = driver();
    await first.insertEvent("s1", event("s1", 0));
    await first.close();
    const db = rawDb();
    const before = db.prepare("SELECT version, applied_at FROM durable_agent_schema_version ORDER BY version").all();
    db.close();
    expect(before).toHaveLength(SQLITE_SCHEMA_VERSION);

    // The migrations use plain CREATE TABLE: running them again would throw.
    const second = driver();
    const third = driver();
    expect((await second.listEvents({ sessionId: "s1" })).items).toEqual([event("s1", 0)]);
    expect((await third.listEvents({ sessionId: "s1" })).items).toEqual([event("s1", 0)]);

    const db2 = rawDb();
    const after = db2.prepare("SELECT version, applied_at FROM durable_agent_schema_version ORDER BY version").all();
    db2.close();
    expect(after).toEqual(before);
  });

  it("refuses a database migrated by a newer release, and changes nothing", async () => {
    const d = driver();
    await d.insertEvent("s1", event("s1", 0));
    await d.close();
    const db = rawDb();
    db.prepare("INSERT INTO durable_agent_schema_version (version, applied_at) VALUES (?, ?)").run(
      SQLITE_SCHEMA_VERSION + 1,
      0,
    );
    db.close();

    let caught: unknown;
    try {
      driver();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SQLiteSchemaVersionError);
    expect((caught as SQLiteSchemaVersionError).foundVersion).toBe(SQLITE_SCHEMA_VERSION + 1);
    expect((caught as SQLiteSchemaVersionError).supportedVersion).toBe(SQLITE_SCHEMA_VERSION);
    expect((caught as Error).message).toMatch(/newer|upgrade/i);

    const check = rawDb();
    expect(check.prepare("SELECT COUNT(*) AS n FROM durable_agent_events").get()).toEqual({ n: 1 });
    check.close();
  });

  it("rejects a table prefix that is not a plain identifier, before touching the file", () => {
    for (const bad of ['x"; DROP TABLE t; --', "a b", "1abc", "", "sqlite_x", "naïve", "a-b", "x".repeat(65), 42]) {
      expect(() => driver({ tablePrefix: bad as string })).toThrow(PersistValidationError);
    }
    const db = rawDb();
    expect(db.prepare("SELECT name FROM sqlite_master").all()).toEqual([]);
    db.close();
  });

  it("rejects bad options with a validation error", () => {
    expect(() => new SQLiteSessionPersistDriver({ filename: "" })).toThrow(PersistValidationError);
    expect(() => new SQLiteSessionPersistDriver({} as never)).toThrow(PersistValidationError);
    const db = new Database(":memory:");
    expect(() => new SQLiteSessionPersistDriver({ filename: file, database: db } as never)).toThrow(
      PersistValidationError,
    );
    expect(() => new SQLiteSessionPersistDriver({ database: {} } as never)).toThrow(PersistValidationError);
    expect(() => new SQLiteSessionPersistDriver({ filename: file, synchronous: "off" } as never)).toThrow(
      PersistValidationError,
    );
    expect(() => new SQLiteSessionPersistDriver({ filename: file, busyTimeoutMs: -1 })).toThrow(PersistValidationError);
    db.close();
  });

  it("works on :memory:, each driver with its own database", async () => {
    const a = driver({ filename: ":memory:" });
    const b = driver({ filename: ":memory:" });
    await a.updateSession(record("s1"));
    await a.insertEvents("s1", [event("s1", 0), event("s1", 1)]);
    expect(await a.getSession("s1")).toEqual(record("s1"));
    expect((await a.listEvents({ sessionId: "s1" })).items).toHaveLength(2);
    expect(await b.getSession("s1")).toBeUndefined();
  });
});

describe("SQLiteSessionPersistDriver: sharing a file", () => {
  it("a second connection sees the first one's writes at once", async () => {
    const writer = driver();
    const reader = driver();
    await writer.updateSession(record("s1", { modes: null }));
    await writer.insertEvents("s1", [event("s1", 0), event("s1", 1)]);
    await writer.insertEvent("s1", event("s1", 2));
    expect(await reader.getSession("s1")).toEqual(record("s1", { modes: null }));
    expect((await reader.listEvents({ sessionId: "s1" })).items).toEqual([0, 1, 2].map((i) => event("s1", i)));
    expect(await reader.listLatestEvents("s1", 1)).toEqual([event("s1", 2)]);
  });

  it("keeps eventIndex and event ids unique across connections", async () => {
    const a = driver();
    const b = driver();
    await a.insertEvent("s1", event("s1", 0, "from a"));
    await expect(b.insertEvent("s1", { ...event("s1", 0, "from b"), id: "other" })).rejects.toMatchObject({
      reason: "eventIndex",
    });
    await expect(b.insertEvent("s1", event("s1", 0, "from b"))).rejects.toMatchObject({ reason: "id" });
    await b.insertEvent("s1", event("s1", 0, "from a")); // identical: a no-op
    expect((await b.listEvents({ sessionId: "s1" })).items).toEqual([event("s1", 0, "from a")]);
  });

  it("lets several processes open, migrate and write one file at once", async () => {
    const writer = join(process.cwd(), "test/support/sqlite-contend-writer.ts");
    const run = promisify(execFile);
    const names = ["p1", "p2", "p3", "p4"];
    const outputs = await Promise.all(
      names.map((name) => run(process.execPath, ["--import", "tsx", writer, file, name], { timeout: 60_000 })),
    );
    const results = outputs.map((o) => JSON.parse(o.stdout) as { name: string; won: number[]; conflicts: number });

    const d = driver();
    // Each contested eventIndex went to exactly one process; the others got a conflict.
    const winners = results.flatMap((r) => r.won.map((i) => ({ i, name: r.name })));
    expect(winners.map((w) => w.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(results.reduce((n, r) => n + r.conflicts, 0)).toBe(50 * (names.length - 1));
    const shared = (await d.listEvents({ sessionId: "shared" })).items;
    expect(shared.map((e) => [e.eventIndex, e.connectionId])).toEqual(
      winners.sort((a, b) => a.i - b.i).map((w) => [w.i, w.name]),
    );
    for (const name of names) {
      const own = await d.listEvents({ sessionId: `own-${name}`, limit: 1000 });
      expect(own.items.map((e) => e.eventIndex)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    }
    const db = rawDb();
    expect(db.prepare("SELECT COUNT(*) AS n FROM durable_agent_schema_version").get()).toEqual({
      n: SQLITE_SCHEMA_VERSION,
    });
    db.close();
  });

  it("isolates drivers with different table prefixes in one file", async () => {
    const a = driver({ tablePrefix: "app_a_" });
    const b = driver({ tablePrefix: "app_b_" });
    await a.updateSession(record("s1", { agent: "a" }));
    await a.insertEvent("s1", event("s1", 0, "a"));
    await b.updateSession(record("s1", { agent: "b" }));
    await b.insertEvent("s1", event("s1", 0, "b")); // same id and index: no conflict across prefixes
    expect((await a.getSession("s1"))?.agent).toBe("a");
    expect((await b.getSession("s1"))?.agent).toBe("b");
    expect((await a.listEvents({ sessionId: "s1" })).items).toEqual([event("s1", 0, "a")]);
    expect((await b.listEvents({ sessionId: "s1" })).items).toEqual([event("s1", 0, "b")]);
    await b.deleteSession("s1");
    expect(await a.listLatestEvents("s1", 10)).toEqual([event("s1", 0, "a")]);

    const db = rawDb();
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name);
    db.close();
    expect(tables).toEqual([
      "app_a_agent_state_chunks",
      "app_a_agent_state_files",
      "app_a_agent_state_schema_version",
      "app_a_events",
      "app_a_lease_schema_version",
      "app_a_leases",
      "app_a_schema_version",
      "app_a_sessions",
      "app_b_agent_state_chunks",
      "app_b_agent_state_files",
      "app_b_agent_state_schema_version",
      "app_b_events",
      "app_b_lease_schema_version",
      "app_b_leases",
      "app_b_schema_version",
      "app_b_sessions",
    ]);
  });

  it("leaves a database handed in through `database` open on close", async () => {
    const db = new Database(file);
    const d = driver({ filename: undefined, database: db });
    await d.insertEvent("s1", event("s1", 0));
    await d.close();
    expect(db.open).toBe(true);
    expect(db.prepare("SELECT COUNT(*) AS n FROM durable_agent_events").get()).toEqual({ n: 1 });
    db.close();
  });
});

describe("SQLiteSessionPersistDriver: storage", () => {
  it("stores every record field, telling modes: null from absent", async () => {
    const d = driver();
    const full = record("full", {
      destroyedAt: 1_700_000_000_500,
      sandboxId: "sbx-1",
      sessionInit: { cwd: "/work", mcpServers: [] },
      configOptions: [{ id: "model", name: "Model", type: "select", currentValue: "m1", options: [] }] as never,
      modes: { currentModeId: "code", availableModes: [{ id: "code", name: "Code" }] },
    });
    await d.updateSession(full);
    await d.updateSession(record("nullModes", { modes: null }));
    await d.updateSession(record("bare"));
    const reopened = driver();
    expect(await reopened.getSession("full")).toEqual(full);
    const nullModes = await reopened.getSession("nullModes");
    expect(nullModes).toHaveProperty("modes", null);
    const bare = await reopened.getSession("bare");
    expect(bare).toEqual(record("bare"));
    expect(Object.keys(bare ?? {})).not.toContain("modes");
  });

  it("leaves the stored event untouched on a conflict and rolls back a conflicting batch", async () => {
    const d = driver();
    await d.insertEvents("s1", [event("s1", 0), event("s1", 1)]);
    await expect(d.insertEvent("s1", event("s1", 1, "changed"))).rejects.toBeInstanceOf(EventConflictError);
    await expect(d.insertEvents("s1", [event("s1", 2), event("s1", 3), event("s1", 0, "changed")])).rejects.toMatchObject(
      { reason: "id", eventIndex: 0 },
    );
    expect((await d.listEvents({ sessionId: "s1" })).items).toEqual([event("s1", 0), event("s1", 1)]);
  });

  it("refuses a payload that cannot be serialized, writing nothing", async () => {
    const d = driver();
    const bad = { ...event("s1", 0), payload: { jsonrpc: "2.0", method: "x", params: { n: 1n } } } as never;
    await expect(d.insertEvent("s1", bad)).rejects.toBeInstanceOf(PersistValidationError);
    await expect(d.insertEvents("s1", [event("s1", 0), bad])).rejects.toBeInstanceOf(PersistValidationError);
    expect((await d.listEvents({ sessionId: "s1" })).items).toEqual([]);
  });

  it("refuses text SQLite could not store unchanged (a lone surrogate), writing nothing", async () => {
    const d = driver();
    const lone = "conn-\uD800";
    await expect(d.insertEvent("s1", { ...event("s1", 0), connectionId: lone })).rejects.toBeInstanceOf(
      PersistValidationError,
    );
    await expect(d.insertEvents("s1", [event("s1", 0), { ...event("s1", 1), id: "e\uDC00" }])).rejects.toThrow(
      /events\[1\]\.id/,
    );
    await expect(d.updateSession(record("s1", { sandboxId: lone }))).rejects.toThrow(/session\.sandboxId/);
    expect((await d.listEvents({ sessionId: "s1" })).items).toEqual([]);
    expect(await d.getSession("s1")).toBeUndefined();
    // A well-formed astral character is fine.
    await d.updateSession(record("s1", { sandboxId: "sbx-🙂" }));
    expect((await d.getSession("s1"))?.sandboxId).toBe("sbx-🙂");
  });

  it("deletes a session's record and events together, and only that session's", async () => {
    const d = driver();
    await d.updateSession(record("s1"));
    await d.updateSession(record("s2"));
    await d.insertEvents("s1", [event("s1", 0), event("s1", 1)]);
    await d.insertEvents("s2", [event("s2", 0)]);
    await d.deleteSession("s1");
    expect(await d.getSession("s1")).toBeUndefined();
    expect((await d.listEvents({ sessionId: "s1" })).items).toEqual([]);
    expect(await d.getSession("s2")).toEqual(record("s2"));
    expect((await d.listEvents({ sessionId: "s2" })).items).toEqual([event("s2", 0)]);
    // The ids are free again.
    await d.insertEvent("s1", event("s1", 0, "new"));
  });

  it("rejects every call after close, and closes the file", async () => {
    const d = driver();
    await d.close();
    await d.close();
    const calls: Promise<unknown>[] = [
      d.getSession("s1"),
      d.listSessions(),
      d.updateSession(record("s1")),
      d.listEvents({ sessionId: "s1" }),
      d.insertEvent("s1", event("s1", 0)),
      d.insertEvents("s1", [event("s1", 0)]),
      d.listLatestEvents("s1", 1),
      d.deleteSession("s1"),
    ];
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(DriverClosedError);
  });
});
