import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, RivetSessionPersistDriver, type RivetActorContext, type RivetSqlDatabase } from "../../drivers/rivet.js";
import { AGENT_STATE_PIECE_BYTES } from "../../drivers/rivet/agent-state.js";
import { AGENT_STATE_CHUNKS_TABLE, AGENT_STATE_FILES_TABLE } from "../../drivers/rivet/names.js";
import { hasAgentState, hasEventTrim, hasSessionActivity, type SessionEvent } from "../../src/index.js";
import { describeDriverConformance } from "../../src/testing.js";

// The Rivet driver in SQLite mode without an engine: `c.db` is a real SQLite database
// (better-sqlite3, in memory) behind the same two calls RivetKit's database offers (`execute`
// with positional parameters, `transaction`). The conformance suite runs in seconds here,
// with the agent state, trim and activity groups; test/conformance/rivet.test.ts runs it in
// real actors.

type Row = Record<string, unknown>;

/** An actor database over an in-memory SQLite database, and the raw handle for inspection. */
function sqliteDatabase(): { db: RivetSqlDatabase; raw: Database.Database } {
  const raw = new Database(":memory:");
  const bind = (args: unknown[]) => args.map((a) => (a instanceof Uint8Array ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : a));
  const execute = async (sql: string, ...args: unknown[]): Promise<Row[]> => {
    const statement = raw.prepare(sql);
    if (statement.reader) return statement.all(...bind(args)) as Row[];
    statement.run(...bind(args));
    return [];
  };
  const db: RivetSqlDatabase = {
    execute,
    async transaction(run) {
      raw.exec("BEGIN IMMEDIATE");
      try {
        const result = await run({ execute });
        raw.exec("COMMIT");
        return result;
      } catch (error) {
        raw.exec("ROLLBACK");
        throw error;
      }
    },
  };
  return { db, raw };
}

function sqliteContext(db: RivetSqlDatabase, state: object = {}): RivetActorContext {
  return { state, db, async saveState() {} };
}

describeDriverConformance({
  name: "RivetSessionPersistDriver in SQLite mode over an in-memory SQLite database",
  createDriver: () => new RivetSessionPersistDriver(sqliteContext(sqliteDatabase().db), { events: "sqlite" }),
  test: { describe, it, beforeEach, afterEach },
  limits: { maxSessions: DEFAULT_LIMITS.sqlite.maxSessions },
});

describe("RivetSessionPersistDriver capabilities per storage", () => {
  it("SQLite mode has agent state, event trim and session activity; state mode has trim and activity, no agent state", () => {
    const sqlite = new RivetSessionPersistDriver(sqliteContext(sqliteDatabase().db), { events: "sqlite" });
    expect([hasAgentState(sqlite), hasEventTrim(sqlite), hasSessionActivity(sqlite)]).toEqual([true, true, true]);
    const state = new RivetSessionPersistDriver(sqliteContext(sqliteDatabase().db), { events: "state" });
    expect([hasAgentState(state), hasEventTrim(state), hasSessionActivity(state)]).toEqual([false, true, true]);
    for (const name of ["appendAgentState", "readAgentState", "listAgentState", "deleteAgentState"] as const) {
      expect(name in state, name).toBe(false);
    }
  });
});

describe("RivetSessionPersistDriver agent state in the actor's database", () => {
  it("stores an append as rows of at most AGENT_STATE_PIECE_BYTES, never rewriting earlier rows", async () => {
    const { db, raw } = sqliteDatabase();
    const driver = new RivetSessionPersistDriver(sqliteContext(db), { events: "sqlite" });
    const big = new Uint8Array(AGENT_STATE_PIECE_BYTES * 2 + 10).map((_, i) => i & 0xff);
    await driver.appendAgentState!("s", "t.jsonl", 0, big);
    const rows = () => raw.prepare(`SELECT chunk_offset, length(data) AS n FROM ${AGENT_STATE_CHUNKS_TABLE} ORDER BY chunk_offset`).all();
    expect(rows()).toEqual([
      { chunk_offset: 0, n: AGENT_STATE_PIECE_BYTES },
      { chunk_offset: AGENT_STATE_PIECE_BYTES, n: AGENT_STATE_PIECE_BYTES },
      { chunk_offset: AGENT_STATE_PIECE_BYTES * 2, n: 10 },
    ]);
    const before = raw.prepare(`SELECT rowid, chunk_offset FROM ${AGENT_STATE_CHUNKS_TABLE} ORDER BY chunk_offset`).all();
    await driver.appendAgentState!("s", "t.jsonl", big.byteLength, new Uint8Array([1, 2, 3]));
    const after = raw.prepare(`SELECT rowid, chunk_offset FROM ${AGENT_STATE_CHUNKS_TABLE} ORDER BY chunk_offset`).all();
    expect(after.slice(0, 3)).toEqual(before);
    expect(after).toHaveLength(4);
    const read = await driver.readAgentState!("s", "t.jsonl");
    expect(read?.byteLength).toBe(big.byteLength + 3);
    expect(Buffer.from(read!.subarray(0, big.byteLength)).equals(Buffer.from(big))).toBe(true);
    expect(raw.prepare(`SELECT size FROM ${AGENT_STATE_FILES_TABLE}`).all()).toEqual([{ size: big.byteLength + 3 }]);
  });

  it("a session the caps drop whole loses its agent state files with it; the caps do not count agent state bytes", async () => {
    const { db, raw } = sqliteDatabase();
    const driver = new RivetSessionPersistDriver(sqliteContext(db), { events: "sqlite", maxSessions: 2, maxBytes: 4096 });
    const record = (id: string, createdAt: number) => ({ id, agent: "mock", agentSessionId: "", lastConnectionId: "", createdAt });
    await driver.updateSession(record("old", 1));
    await driver.appendAgentState!("old", "t.jsonl", 0, new Uint8Array(100_000));
    await driver.updateSession(record("mid", 2));
    // 100 KB of agent state and a 4 KiB byte cap: nothing dropped, the cap counts events only.
    expect(driver.retention()).toMatchObject({ droppedSessions: 0, bytes: 0 });
    expect((await driver.listAgentState!("old")).map((f) => f.size)).toEqual([100_000]);
    await driver.updateSession(record("new", 3));
    expect(driver.retention()).toMatchObject({ droppedSessions: 1, lastDrop: { sessionId: "old", reason: "maxSessions" } });
    expect(await driver.listAgentState!("old")).toEqual([]);
    expect(raw.prepare(`SELECT count(*) AS n FROM ${AGENT_STATE_CHUNKS_TABLE}`).get()).toEqual({ n: 0 });
  });

  it("a database of schema version 1 (before agent state) migrates: its tables and rows kept, the agent state tables added", async () => {
    const { db, raw } = sqliteDatabase();
    const first = new RivetSessionPersistDriver(sqliteContext(db), { events: "sqlite" });
    await first.updateSession({ id: "kept", agent: "mock", agentSessionId: "", lastConnectionId: "", createdAt: 5 });
    // Back to what release 1 left: no agent state tables, version 1 recorded.
    raw.exec(`DROP TABLE ${AGENT_STATE_FILES_TABLE}; DROP TABLE ${AGENT_STATE_CHUNKS_TABLE}; UPDATE durable_agent_meta SET value = 1`);
    const second = new RivetSessionPersistDriver(sqliteContext(db, {}), { events: "sqlite" });
    expect((await second.getSession("kept"))?.createdAt).toBe(5);
    await second.appendAgentState!("kept", "f", 0, new Uint8Array([7]));
    expect(raw.prepare("SELECT value FROM durable_agent_meta WHERE key = 'schema_version'").get()).toEqual({ value: 2 });
  });
});

describe("RivetSessionPersistDriver event trim and the caps' usage", () => {
  for (const events of ["sqlite", "state"] as const) {
    it(`${events} mode: a trim counts the deleted events out of the usage the caps see, and the marker in; a refused marker changes nothing`, async () => {
      const driver = new RivetSessionPersistDriver(sqliteContext(sqliteDatabase().db), { events });
      const made: SessionEvent[] = Array.from({ length: 10 }, (_, i) => ({
        id: `e${i}`,
        eventIndex: i,
        sessionId: "s",
        createdAt: 1000 + i,
        connectionId: "c",
        sender: "agent" as const,
        payload: { jsonrpc: "2.0" as const, method: "session/update", params: { text: "x".repeat(10 * i) } },
      }));
      await driver.insertEvents!("s", made);
      const size = (e: object) => new TextEncoder().encode(JSON.stringify(e)).byteLength;
      expect(driver.retention().bytes).toBe(made.reduce((sum, e) => sum + size(e), 0));
      const marker: SessionEvent = { ...made[0]!, id: "m", eventIndex: 5, payload: { jsonrpc: "2.0", method: "_durable/history_trimmed", params: {} } };
      // A marker whose id a kept event holds: refused, nothing deleted, usage unchanged.
      await expect(driver.deleteEventsBefore!("s", 6, { ...marker, id: "e8" })).rejects.toMatchObject({ name: "EventConflictError", reason: "id" });
      expect(driver.retention().bytes).toBe(made.reduce((sum, e) => sum + size(e), 0));
      expect((await driver.listEvents({ sessionId: "s", limit: 100 })).items).toHaveLength(10);
      // A marker reusing the id of a deleted event is fine: the delete frees it.
      expect(await driver.deleteEventsBefore!("s", 6, { ...marker, id: "e2" })).toBe(6);
      const kept = made.slice(6);
      expect(driver.retention().bytes).toBe(kept.reduce((sum, e) => sum + size(e), 0) + size({ ...marker, id: "e2" }));
      expect((await driver.listEvents({ sessionId: "s", limit: 100 })).items.map((e) => e.id)).toEqual(["e2", "e6", "e7", "e8", "e9"]);
      const [activity] = (await driver.listSessionActivity!()).items;
      expect(activity).toBeUndefined(); // no record: activity lists records only
    });
  }
});
