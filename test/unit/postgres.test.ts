import assert from "node:assert/strict";
import pg from "pg";
import { afterAll, beforeAll, describe, it } from "vitest";
import { parse as pgParse, toClientConfig } from "pg-connection-string";
import { PostgresSchemaVersionError, PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { assertConnectionString } from "../../drivers/postgres/connection-string.js";
import { DriverClosedError, EventConflictError, PersistValidationError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { adminPool, dropSchema, postgresUrl, uniqueSchema } from "../support/postgres.js";

let admin: pg.Pool;
const schemas: string[] = [];

function freshSchema(label = "unit"): string {
  const schema = uniqueSchema(label);
  schemas.push(schema);
  return schema;
}

function event(sessionId: string, eventIndex: number, id = `${sessionId}-${eventIndex}`): SessionEvent {
  return {
    id,
    eventIndex,
    sessionId,
    createdAt: 1_700_000_000_000 + eventIndex,
    connectionId: "conn-1",
    sender: eventIndex % 2 === 0 ? "client" : "agent",
    payload: { jsonrpc: "2.0", method: "session/update", params: { n: eventIndex, z: "last", a: "first" } },
  };
}

async function schemaExists(schema: string): Promise<boolean> {
  const { rowCount } = await admin.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
  return rowCount === 1;
}

beforeAll(() => {
  admin = adminPool();
});

afterAll(async () => {
  for (const schema of schemas) await dropSchema(admin, schema);
  await admin.end();
});

describe("PostgresSessionPersistDriver options", () => {
  const hostile = [
    'public"; DROP TABLE users; --',
    "Public",
    "1abc",
    "a b",
    "a-b",
    "",
    "x".repeat(64),
    "pg_catalog",
    "schéma",
  ];

  it("refuses every schema name that is not a plain lowercase identifier, before connecting", () => {
    for (const schema of hostile) {
      assert.throws(
        () => new PostgresSessionPersistDriver({ connectionString: "postgres://nowhere.invalid/db", schema }),
        (error: unknown) =>
          error instanceof PersistValidationError && error.issues.some((issue) => issue.path === "options.schema"),
        `schema ${JSON.stringify(schema)} was accepted`,
      );
    }
  });

  it("refuses table prefixes that are not plain lowercase identifiers or are too long", () => {
    for (const tablePrefix of ['x"; DROP TABLE y; --', "X_", "9_", "a.b_", "p".repeat(47)]) {
      assert.throws(
        () => new PostgresSessionPersistDriver({ connectionString: "postgres://nowhere.invalid/db", tablePrefix }),
        (error: unknown) =>
          error instanceof PersistValidationError && error.issues.some((issue) => issue.path === "options.tablePrefix"),
        `prefix ${JSON.stringify(tablePrefix)} was accepted`,
      );
    }
  });

  it("refuses a pool and a connection string together", () => {
    const pool = new pg.Pool({ connectionString: postgresUrl() });
    try {
      assert.throws(
        () => new PostgresSessionPersistDriver({ pool, connectionString: postgresUrl() }),
        PersistValidationError,
      );
    } finally {
      void pool.end();
    }
  });

  it("refuses a connection string that is not a PostgreSQL URL at construction, naming it, never echoing a password", () => {
    const refused = [
      "not a url",
      "http://x",
      "postgres://[bad",
      "host=localhost dbname=app user=me password=s3cr3t",
      "mysql://me:s3cr3t@db.example.test/app",
      "postgres:app",
      "postgres://me:s3cr3t#x@db.example.test/app",
      "postgres://me:s3cr3t@db.example.test:99999/app",
      "postgres://me:%C0s3cr3t@db.example.test/app",
    ];
    for (const connectionString of refused) {
      assert.throws(
        () => new PostgresSessionPersistDriver({ connectionString }),
        (error: unknown) =>
          error instanceof PersistValidationError &&
          error.issues.length === 1 &&
          error.issues[0]!.path === "options.connectionString" &&
          !error.message.includes("s3cr3t") &&
          !error.message.includes(connectionString),
        `${JSON.stringify(connectionString)} was accepted, or refused with the wrong error`,
      );
    }
  });

  it("accepts the URL and socket forms pg reads, without connecting", async () => {
    const accepted = [
      "postgres://me:s3cr3t@db.example.test:5432/app",
      "postgresql://db.example.test/app?sslmode=disable",
      "POSTGRES://[::1]:5432/app",
      "postgres://me@/app?host=/var/run/postgresql",
      "postgres://me:p%40ss@db.example.test/app",
      "postgres://me:p ss@db.example.test/app",
      "/var/run/postgresql app",
      "socket:/var/run/postgresql?db=app",
    ];
    for (const connectionString of accepted) await new PostgresSessionPersistDriver({ connectionString }).close();
  });

  it("accepts exactly the postgres://, postgresql:// and socket strings pg-connection-string parses", () => {
    // Held to pg's own parser on generated strings, as the fast event check is held to zod.
    const pgParses = (text: string) => {
      try {
        toClientConfig(pgParse(text));
        return true;
      } catch {
        return false;
      }
    };
    const pgForm = (text: string) => text.startsWith("/") || /^(postgres|postgresql):\/\//i.test(text) || /^socket:/i.test(text);
    const schemes = ["postgres://", "postgresql://", "PostgreSQL://", "socket:", "http://", "mysql://", "postgres:", "", "/"];
    const users = ["", "u@", "u:s3cr3t@", "u:p%40ss@", "u:p ss@", "u:p#ss@", "u:%C0@", "u:p%zz@", "u:p@ss@"];
    const hosts = ["h", "", "[::1]", "[bad", "h:5432", "h:99999", "h:port", "h%2"];
    const paths = ["/db", "", "/d%C0b", "?host=/tmp", "/db?sslmode=disable", " db"];
    let accepted = 0;
    for (const scheme of schemes) {
      for (const user of users) {
        for (const host of hosts) {
          for (const path of paths) {
            const text = `${scheme}${user}${host}${path}`;
            if (text === "") continue;
            let ours = true;
            try {
              assertConnectionString(text);
            } catch (error) {
              assert.ok(error instanceof PersistValidationError, `${JSON.stringify(text)}: ${String(error)}`);
              ours = false;
            }
            assert.equal(ours, pgForm(text) && pgParses(text), `verdict on ${JSON.stringify(text)}`);
            if (ours) accepted++;
          }
        }
      }
    }
    assert.ok(accepted > 300, `the generated strings hold both verdicts (${accepted} accepted)`);
  });

  it("accepts the default schema and prefix, and an empty prefix", () => {
    assert.doesNotThrow(() => new PostgresSessionPersistDriver({ connectionString: postgresUrl() }).close());
    assert.doesNotThrow(() => new PostgresSessionPersistDriver({ connectionString: postgresUrl(), tablePrefix: "" }).close());
  });
});

describe("PostgresSessionPersistDriver pools", () => {
  it("leaves a pool it was given open on close(), and refuses further calls", async () => {
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 2 });
    try {
      const driver = new PostgresSessionPersistDriver({ pool, schema: freshSchema() });
      await driver.updateSession({ id: "s", agent: "mock", agentSessionId: "a", lastConnectionId: "c", createdAt: 1 });
      await driver.close();
      await assert.rejects(driver.getSession("s"), DriverClosedError);
      const { rows } = await pool.query("SELECT 1 AS one");
      assert.deepEqual(rows, [{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it("ends the pool it opened itself on close()", async () => {
    const tag = uniqueSchema("app");
    const url = new URL(postgresUrl());
    url.searchParams.set("application_name", tag);
    const driver = new PostgresSessionPersistDriver({ connectionString: url.toString(), schema: freshSchema() });
    await driver.getSession("s");
    const before = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [tag]);
    assert.ok((before.rows[0] as { n: number }).n > 0);
    await driver.close();
    // The server notices the disconnects asynchronously: wait until they are gone.
    let n = -1;
    for (let attempt = 0; attempt < 100 && n !== 0; attempt++) {
      const after = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [tag]);
      n = (after.rows[0] as { n: number }).n;
      if (n !== 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(n, 0);
  });

  it("lets drivers with different prefixes share one pool without seeing each other's data", async () => {
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 1 });
    const schema = freshSchema();
    try {
      const a = new PostgresSessionPersistDriver({ pool, schema, tablePrefix: "a_" });
      const b = new PostgresSessionPersistDriver({ pool, schema, tablePrefix: "b_" });
      await a.insertEvent("s", event("s", 0, "only-in-a"));
      await b.insertEvent("s", event("s", 0, "only-in-b"));
      assert.deepEqual((await a.listEvents({ sessionId: "s" })).items.map((e) => e.id), ["only-in-a"]);
      assert.deepEqual((await b.listEvents({ sessionId: "s" })).items.map((e) => e.id), ["only-in-b"]);
    } finally {
      await pool.end();
    }
  });
});

describe("PostgresSessionPersistDriver migrations", () => {
  it("touches nothing until first used, then creates the schema, tables and a version row", async () => {
    const schema = freshSchema();
    const driver = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    try {
      assert.equal(await schemaExists(schema), false);
      assert.equal(await driver.getSession("nope"), undefined);
      assert.equal(await schemaExists(schema), true);
      const tables = await admin.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
        [schema],
      );
      assert.deepEqual(
        tables.rows.map((r: { table_name: string }) => r.table_name),
        ["durable_agent_events", "durable_agent_schema_migrations", "durable_agent_sessions"],
      );
      const versions = await admin.query(`SELECT version, name FROM "${schema}".durable_agent_schema_migrations`);
      assert.deepEqual(versions.rows, [{ version: 1, name: "create sessions and events" }]);
    } finally {
      await driver.close();
    }
  });

  it("migrates once per driver instance, not on every call", async () => {
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 2 });
    // Migration checks out a client explicitly; ordinary calls go through pool.query.
    let explicitConnects = 0;
    const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
    (pool as { connect: unknown }).connect = (...args: unknown[]) => {
      if (args.length === 0) explicitConnects++;
      return (connect as (...a: unknown[]) => Promise<pg.PoolClient>)(...args);
    };
    try {
      const driver = new PostgresSessionPersistDriver({ pool, schema: freshSchema() });
      for (let i = 0; i < 5; i++) {
        await driver.insertEvent("s", event("s", i));
        await driver.listLatestEvents("s", 2);
      }
      assert.equal(explicitConnects, 1);
    } finally {
      await pool.end();
    }
  });

  it("never re-runs a migration: a second driver on a migrated schema adds no version row and keeps the data", async () => {
    const schema = freshSchema();
    const first = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    await first.insertEvent("s", event("s", 0));
    await first.close();
    const second = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    try {
      assert.equal((await second.listEvents({ sessionId: "s" })).items.length, 1);
      const versions = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".durable_agent_schema_migrations`);
      assert.deepEqual(versions.rows, [{ n: 1 }]);
    } finally {
      await second.close();
    }
  });

  it("refuses a database migrated by a newer version, with a typed error, changing nothing", async () => {
    const schema = freshSchema();
    const first = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    await first.insertEvent("s", event("s", 0));
    await first.close();
    await admin.query(`INSERT INTO "${schema}".durable_agent_schema_migrations (version, name) VALUES (99, 'from the future')`);
    const driver = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    try {
      await assert.rejects(driver.insertEvent("s", event("s", 1)), (error: unknown) => {
        assert.ok(error instanceof PostgresSchemaVersionError);
        assert.equal(error.databaseVersion, 99);
        assert.equal(error.supportedVersion, 1);
        return true;
      });
      const { rows } = await admin.query(`SELECT id FROM "${schema}".durable_agent_events`);
      assert.deepEqual(rows, [{ id: "s-0" }]);
    } finally {
      await driver.close();
    }
  });
});

describe("PostgresSessionPersistDriver storage", () => {
  let driver: PostgresSessionPersistDriver;
  let schema: string;

  beforeAll(() => {
    schema = freshSchema();
    driver = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
  });

  afterAll(async () => {
    await driver.close();
  });

  it("stores payloads as JSONB (keys reordered) and still treats an identical re-insert as a no-op", async () => {
    const e = event("jsonb", 0);
    await driver.insertEvent("jsonb", e);
    const { rows } = await admin.query(
      `SELECT jsonb_typeof(payload) AS t, payload::text AS text FROM "${schema}".durable_agent_events WHERE id = $1`,
      [e.id],
    );
    assert.equal(rows[0].t, "object");
    // JSONB normalised the key order ("n", "z", "a" came in), so equality must be deep.
    assert.deepEqual(Object.keys((JSON.parse(rows[0].text) as { params: object }).params), ["a", "n", "z"]);
    await driver.insertEvent("jsonb", structuredClone(e));
    await driver.insertEvents("jsonb", [structuredClone(e)]);
    assert.deepEqual((await driver.listEvents({ sessionId: "jsonb" })).items, [e]);
  });

  it("stores the new events of a batch that repeats stored ones, and nothing of a batch with a conflict", async () => {
    await driver.insertEvents("mixed", [event("mixed", 0), event("mixed", 1)]);
    await driver.insertEvents("mixed", [event("mixed", 1), event("mixed", 2), event("mixed", 3)]);
    const changed = { ...event("mixed", 2), connectionId: "other" };
    await assert.rejects(
      driver.insertEvents("mixed", [event("mixed", 4), changed]),
      (error: unknown) => error instanceof EventConflictError && error.reason === "id" && error.eventId === "mixed-2",
    );
    await assert.rejects(
      driver.insertEvents("mixed", [event("mixed", 5), event("mixed", 3, "intruder")]),
      (error: unknown) => error instanceof EventConflictError && error.reason === "eventIndex" && error.eventIndex === 3,
    );
    const items = (await driver.listEvents({ sessionId: "mixed" })).items;
    assert.deepEqual(items.map((e) => e.id), ["mixed-0", "mixed-1", "mixed-2", "mixed-3"]);
  });

  it("refuses strings PostgreSQL cannot store exactly (NUL, unpaired surrogates), writing nothing", async () => {
    const bad: SessionEvent[] = [
      { ...event("bad", 0), id: "nul\u0000id" },
      { ...event("bad", 0), connectionId: "half\ud800" },
      { ...event("bad", 0), payload: { jsonrpc: "2.0", method: "x", params: { text: "nul\u0000" } } },
      { ...event("bad", 0), payload: { jsonrpc: "2.0", method: "x", params: { text: "\udc00half" } } },
    ];
    for (const e of bad) {
      await assert.rejects(driver.insertEvent("bad", e), PersistValidationError);
      await assert.rejects(driver.insertEvents("bad", [event("bad", 1), e]), PersistValidationError);
    }
    await assert.rejects(
      driver.updateSession({ id: "bad", agent: "a\u0000", agentSessionId: "", lastConnectionId: "", createdAt: 0 }),
      PersistValidationError,
    );
    assert.deepEqual((await driver.listEvents({ sessionId: "bad" })).items, []);
    assert.equal(await driver.getSession("bad"), undefined);
  });

  it("reads the tail and deep pages of a 100,000-event session along the index, without sorting", async () => {
    const events = `"${schema}".durable_agent_events`;
    await admin.query(
      `INSERT INTO ${events} (id, session_id, event_index, created_at, connection_id, sender, payload)
       SELECT s || '-' || i, s, i, 1700000000000 + i, 'c', 'agent', jsonb_build_object('jsonrpc', '2.0', 'method', 'm', 'params', jsonb_build_object('i', i))
       FROM generate_series(0, 99999) AS i, (VALUES ('big'), ('other')) AS v(s) WHERE s = 'big' OR i < 20000`,
    );
    await admin.query(`ANALYZE ${events}`);
    const tail = await driver.listLatestEvents("big", 50);
    assert.deepEqual(
      tail.map((e) => e.eventIndex),
      Array.from({ length: 50 }, (_, i) => 99_950 + i),
    );
    assert.deepEqual(tail[49], {
      id: "big-99999",
      eventIndex: 99_999,
      sessionId: "big",
      createdAt: 1_700_000_099_999,
      connectionId: "c",
      sender: "agent",
      payload: { jsonrpc: "2.0", method: "m", params: { i: 99_999 } },
    });
    const plans = [
      `SELECT * FROM ${events} WHERE session_id = 'big' ORDER BY event_index DESC LIMIT 50`,
      `SELECT * FROM ${events} WHERE session_id = 'big' AND event_index > 90000 ORDER BY event_index LIMIT 1001`,
    ];
    for (const sql of plans) {
      const { rows } = await admin.query(`EXPLAIN (FORMAT JSON) ${sql}`);
      const plan = JSON.stringify(rows[0]["QUERY PLAN"]);
      assert.match(plan, /"Index Name":"durable_agent_events_order"/, plan);
      assert.doesNotMatch(plan, /"Node Type":"(Sort|Seq Scan)"/, plan);
    }
  });
});
