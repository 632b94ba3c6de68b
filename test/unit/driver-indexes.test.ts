import "fake-indexeddb/auto";
import Database from "better-sqlite3";
import { IDBFactory, IDBIndex, IDBKeyRange, IDBObjectStore } from "fake-indexeddb";
import assert from "node:assert/strict";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from "vitest";
import { IndexedDbSessionPersistDriver } from "../../drivers/indexeddb.js";
import { EVENTS, EVENTS_BY_ID, SESSIONS, SESSIONS_BY_ORDER } from "../../drivers/indexeddb/names.js";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { tableNames as postgresNames } from "../../drivers/postgres/names.js";
import { buildStatements } from "../../drivers/postgres/statements.js";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { tableNames as sqliteNames } from "../../drivers/sqlite/names.js";
import { statementSql } from "../../drivers/sqlite/statements.js";
import { conformanceFixtures } from "../../src/testing.js";
import { adminPool, postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";

// Each driver's indexes exist after migration, and the reads that must not grow with the
// store (a page of sessions, a page of events, the tail of a session) use them: without these
// checks, dropping an index from a migration passes every behavioural test (the answers stay
// right, only slower as the store grows).

const { makeEvents, minimalRecord } = conformanceFixtures;

describe("SQLite: indexes after migration, and the plans of the reads", () => {
  const names = sqliteNames();
  let db: Database.Database;
  let driver: SQLiteSessionPersistDriver;

  beforeEach(() => {
    db = new Database(":memory:");
    driver = new SQLiteSessionPersistDriver({ database: db });
  });
  afterEach(async () => {
    await driver.close();
    db.close();
  });

  /** `table`'s indexes: name, uniqueness and columns in order. */
  function indexes(table: string): { name: string; unique: boolean; columns: string[] }[] {
    const list = db.prepare(`PRAGMA index_list("${table}")`).all() as { name: string; unique: number }[];
    return list.map(({ name, unique }) => ({
      name,
      unique: unique === 1,
      columns: (db.prepare(`PRAGMA index_info("${name}")`).all() as { name: string }[]).map((c) => c.name),
    }));
  }

  /** The name of `table`'s index on exactly `columns`; fails when there is none. */
  function indexOn(table: string, columns: string[]): string {
    const found = indexes(table).find((index) => index.columns.join() === columns.join());
    assert.ok(found, `${table} has an index on (${columns.join(", ")}); it has ${JSON.stringify(indexes(table))}`);
    return found.name;
  }

  /** EXPLAIN QUERY PLAN of one of the driver's statements, every `?` bound to 1. */
  function plan(statement: keyof ReturnType<typeof statementSql>): string[] {
    const sql = statementSql(names)[statement];
    const params = Array<number>((sql.match(/\?/g) ?? []).length).fill(1);
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail);
  }

  it("creates the listing index on sessions (created_at, id) and the unique (session_id, event_index) on events", () => {
    assert.equal(indexOn(names.sessions, ["created_at", "id"]), names.sessionsOrder);
    assert.ok(indexes(names.sessions).find((i) => i.columns.join() === "id")?.unique, "sessions are keyed by id");
    const order = indexes(names.events).find((i) => i.columns.join() === "session_id,event_index");
    assert.ok(order?.unique, `events have a unique index on (session_id, event_index): ${JSON.stringify(indexes(names.events))}`);
    assert.ok(indexes(names.events).find((i) => i.columns.join() === "id")?.unique, "event ids are unique");
  });

  it.each([
    ["sessionsFirst", "sessions", ["created_at", "id"]],
    ["sessionsAfter", "sessions", ["created_at", "id"]],
    ["eventsAfter", "events", ["session_id", "event_index"]],
    ["tail", "events", ["session_id", "event_index"]],
    ["readSession", "sessions", ["id"]],
    ["eventById", "events", ["id"]],
    ["indexTaken", "events", ["session_id", "event_index"]],
    ["deleteEvents", "events", ["session_id", "event_index"]],
  ] as const)("%s reads along the %s index on (%s), in index order", (statement, table, columns) => {
    const index = indexOn(names[table], [...columns]);
    const steps = plan(statement);
    assert.ok(
      steps.some((step) => step.includes(`USING INDEX ${index}`) || step.includes(`USING COVERING INDEX ${index}`)),
      `${statement} uses ${index}: ${JSON.stringify(steps)}`,
    );
    assert.ok(!steps.some((step) => /TEMP B-TREE/.test(step)), `${statement} sorts nothing: ${JSON.stringify(steps)}`);
    assert.ok(!steps.some((step) => /^SCAN \S+$/.test(step)), `${statement} scans no table whole: ${JSON.stringify(steps)}`);
  });
});

describe("PostgreSQL: indexes after migration, and the plans of the reads on a large store", () => {
  const freshSchema = schemasDroppedAfterAll();
  const schema = freshSchema("idx");
  const names = postgresNames(schema, "durable_agent_");
  const statements = buildStatements(names);
  let admin: pg.Pool;

  beforeAll(async () => {
    admin = adminPool();
    const driver = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    try {
      await driver.getSession("migrate"); // the first call migrates
    } finally {
      await driver.close();
    }
    // Enough rows that the planner would rather scan and sort than read an index it lacks.
    await admin.query(
      `INSERT INTO ${names.sessions} (id, agent, agent_session_id, last_connection_id, created_at)
       SELECT 's' || i, 'mock', 'a' || i, 'c', 1700000000000 + (i % 997) FROM generate_series(1, 20000) AS i`,
    );
    await admin.query(
      `INSERT INTO ${names.events} (id, session_id, event_index, created_at, connection_id, sender, payload)
       SELECT 's' || (i % 20) || '-' || i, 's' || (i % 20), i / 20, 1700000000000 + i, 'c', 'agent', '{"jsonrpc":"2.0","method":"m"}'
       FROM generate_series(0, 39999) AS i`,
    );
    await admin.query(`ANALYZE ${names.sessions}`);
    await admin.query(`ANALYZE ${names.events}`);
  });
  afterAll(async () => {
    await admin.end();
  });

  /** The plan of a driver statement with these parameters, as JSON text. */
  async function plan(statement: keyof typeof statements, values: unknown[]): Promise<string> {
    const { rows } = await admin.query(`EXPLAIN (FORMAT JSON) ${statements[statement].text}`, values);
    return JSON.stringify(rows[0]["QUERY PLAN"]);
  }

  it("creates the listing index on sessions (created_at, id) and the unique (session_id, event_index) on events", async () => {
    const { rows } = await admin.query<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname",
      [schema],
    );
    const defs = new Map(rows.map((row) => [row.indexname, row.indexdef.replace(/^.* USING /, "")]));
    assert.equal(defs.get(names.sessionsOrder), "btree (created_at, id)", JSON.stringify(rows));
    assert.equal(defs.get(names.eventsOrder), "btree (session_id, event_index)", JSON.stringify(rows));
    assert.match(rows.find((r) => r.indexname === names.eventsOrder)?.indexdef ?? "", /UNIQUE INDEX/);
    assert.equal(defs.get("durable_agent_sessions_pkey"), "btree (id)");
    assert.equal(defs.get("durable_agent_events_pkey"), "btree (id)");
  });

  it.each([
    ["sessionsFirst", "sessionsOrder", [101]],
    ["sessionsAfter", "sessionsOrder", [1700000000500, "s5", 101]],
    ["eventsAfter", "eventsOrder", ["s7", 100, 101]],
    ["tail", "eventsOrder", ["s7", 50]],
  ] as const)("%s reads along %s, without a sort or a scan of the table", async (statement, index, values) => {
    const text = await plan(statement, [...values]);
    assert.match(text, new RegExp(`"Index Name":"${names[index]}"`), text);
    assert.doesNotMatch(text, /"Node Type":"(Sort|Incremental Sort|Seq Scan)"/, text);
  });
});

describe("IndexedDB: stores and indexes after the upgrade, and the key ranges the reads use", () => {
  /** One read or write request as the driver issued it. */
  interface Call {
    /** `store` or `store.index`. */
    on: string;
    method: string;
    query: unknown;
    count?: number;
    direction?: string;
  }
  const calls: Call[] = [];
  const methods = ["get", "getAll", "getKey", "getAllKeys", "openCursor", "openKeyCursor", "count", "delete"] as const;
  const originals = new Map<string, unknown>();

  const describeQuery = (query: unknown): unknown =>
    query instanceof IDBKeyRange
      ? { lower: query.lower, upper: query.upper, lowerOpen: query.lowerOpen, upperOpen: query.upperOpen }
      : query;

  beforeAll(() => {
    for (const [owner, label] of [
      [IDBObjectStore.prototype, "store"],
      [IDBIndex.prototype, "index"],
    ] as const) {
      for (const method of methods) {
        const original = (owner as unknown as Record<string, (...args: unknown[]) => unknown>)[method];
        if (typeof original !== "function") continue;
        originals.set(`${label}.${method}`, original);
        (owner as unknown as Record<string, unknown>)[method] = function (this: IDBObjectStore | IDBIndex, ...args: unknown[]) {
          const on = this instanceof IDBIndex ? `${this.objectStore.name}.${this.name}` : (this as IDBObjectStore).name;
          const [query, second] = args;
          calls.push({
            on,
            method,
            query: describeQuery(query),
            ...(typeof second === "number" ? { count: second } : {}),
            ...(typeof second === "string" ? { direction: second } : {}),
          });
          return original.apply(this, args);
        };
      }
    }
  });
  afterAll(() => {
    for (const [key, original] of originals) {
      const [label, method] = key.split(".") as [string, string];
      const owner = label === "store" ? IDBObjectStore.prototype : IDBIndex.prototype;
      (owner as unknown as Record<string, unknown>)[method] = original;
    }
  });

  let factory: IDBFactory;
  let driver: IndexedDbSessionPersistDriver;
  beforeEach(async () => {
    factory = new IDBFactory();
    driver = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "indexes" });
    for (let i = 0; i < 20; i++) await driver.updateSession(minimalRecord(`s${String(i).padStart(2, "0")}`, 1000 + i));
    await driver.insertEvents("s01", makeEvents("s01", 0, 50));
    await driver.insertEvents("s02", makeEvents("s02", 0, 50));
    calls.length = 0;
  });
  afterEach(async () => {
    await driver.close();
  });

  it("creates the sessions store keyed by id with the byOrder index, and events keyed by (sessionId, eventIndex) with a unique byId", async () => {
    await driver.close();
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open("indexes");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      const tx = db.transaction([SESSIONS, EVENTS], "readonly");
      const sessions = tx.objectStore(SESSIONS);
      const events = tx.objectStore(EVENTS);
      assert.equal(sessions.keyPath, "id");
      assert.deepEqual([...sessions.indexNames], [SESSIONS_BY_ORDER]);
      assert.deepEqual(sessions.index(SESSIONS_BY_ORDER).keyPath, ["createdAt", "order"]);
      assert.deepEqual(events.keyPath, ["sessionId", "eventIndex"]);
      assert.deepEqual([...events.indexNames], [EVENTS_BY_ID]);
      assert.equal(events.index(EVENTS_BY_ID).keyPath, "id");
      assert.equal(events.index(EVENTS_BY_ID).unique, true);
    } finally {
      db.close();
    }
  });

  it("listSessions reads a page plus one from the byOrder index, after the cursor's key", async () => {
    const first = await driver.listSessions({ limit: 5 });
    assert.deepEqual(calls, [{ on: `${SESSIONS}.${SESSIONS_BY_ORDER}`, method: "getAll", query: undefined, count: 6 }]);
    calls.length = 0;
    await driver.listSessions({ cursor: first.nextCursor, limit: 5 });
    assert.equal(calls.length, 1);
    const [call] = calls as [Call];
    assert.equal(call.on, `${SESSIONS}.${SESSIONS_BY_ORDER}`);
    assert.equal(call.count, 6);
    const range = call.query as { lower: [number, ArrayBuffer]; upper: unknown; lowerOpen: boolean };
    assert.equal(range.lower[0], 1004, "starts after the last key of the first page");
    assert.equal(range.lowerOpen, true);
    assert.equal(range.upper, undefined);
  });

  it("listEvents reads a page plus one from the primary key range of its session, after the cursor's index", async () => {
    const first = await driver.listEvents({ sessionId: "s01", limit: 10 });
    calls.length = 0;
    await driver.listEvents({ sessionId: "s01", cursor: first.nextCursor, limit: 10 });
    assert.deepEqual(calls, [
      {
        on: EVENTS,
        method: "getAll",
        query: { lower: ["s01", 10], upper: ["s01", Infinity], lowerOpen: false, upperOpen: false },
        count: 11,
      },
    ]);
  });

  it("listLatestEvents finds the session's last key, then reads exactly the window of `limit` indexes below it", async () => {
    const tail = await driver.listLatestEvents("s02", 7);
    assert.deepEqual(tail.map((e) => e.eventIndex), [43, 44, 45, 46, 47, 48, 49]);
    assert.deepEqual(calls, [
      {
        on: EVENTS,
        method: "openKeyCursor",
        query: { lower: ["s02", -Infinity], upper: ["s02", Infinity], lowerOpen: false, upperOpen: false },
        direction: "prev",
      },
      { on: EVENTS, method: "getAll", query: { lower: ["s02", 43], upper: ["s02", 49], lowerOpen: false, upperOpen: false } },
    ]);
  });

  it("getSession is a get by primary key, and no read in a session's life scans a store", async () => {
    await driver.getSession("s03");
    await driver.insertEvents("s03", makeEvents("s03", 0, 5));
    await driver.insertEvents("s03", makeEvents("s03", 3, 4)); // overlaps: the refusal is explained by key lookups
    await driver.listEvents({ sessionId: "s03" });
    await driver.listLatestEvents("s03", 3);
    await driver.deleteSession("s03");
    assert.deepEqual(calls[0], { on: SESSIONS, method: "get", query: "s03" });
    for (const call of calls) {
      const bounded =
        call.count !== undefined ||
        typeof call.query === "string" ||
        Array.isArray(call.query) ||
        (call.query !== undefined && (call.query as { lower: unknown }).lower !== undefined && (call.query as { upper: unknown }).upper !== undefined);
      assert.ok(bounded, `a bounded read: ${JSON.stringify(call)}`);
    }
  });
});
