import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, it } from "vitest";
import { FileSessionPersistDriver } from "../../drivers/file.js";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { RedisSessionPersistDriver } from "../../drivers/redis.js";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { conformanceFixtures } from "../../src/testing.js";
import { adminPool, postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";
import { adminClient, keysUnder, prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";

// What is particular to each store's leases (the shared rules are in the conformance suite):
// where the lease lives, its own migration track, and how it orders against writes.

const { makeEvents, minimalRecord } = conformanceFixtures;
const freshSchema = schemasDroppedAfterAll();
const freshPrefix = prefixesRemovedAfterAll();
const dir = mkdtempSync(join(tmpdir(), "durable-agent-lease-stores-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("PostgreSQL leases", () => {
  it("live on their own migration track, beside the driver's", async () => {
    const schema = freshSchema("lease_track");
    const driver = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema, tablePrefix: "app_" });
    const admin = adminPool();
    try {
      await driver.acquireLease("s", "a", 60_000);
      const { rows } = await admin.query(`SELECT version, name FROM "${schema}".app_lease_migrations`);
      assert.deepEqual(rows, [{ version: 1, name: "create session leases" }]);
      const lease = await admin.query(`SELECT session_id, holder, token FROM "${schema}".app_leases`);
      assert.deepEqual(lease.rows, [{ session_id: "s", holder: "a", token: "1" }]);
      await admin.query(`INSERT INTO "${schema}".app_lease_migrations (version, name) VALUES (2, 'from the future')`);
      const later = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema, tablePrefix: "app_" });
      await assert.rejects(later.getLease("s"), { name: "PostgresSchemaVersionError", code: "persist.schema_too_new" });
      await later.close();
    } finally {
      await driver.close();
      await admin.end();
    }
  });

  it("work on a pool of one connection, fenced writes and their refusals included", async () => {
    const pool = new pg.Pool({ connectionString: postgresUrl(), max: 1 });
    const driver = new PostgresSessionPersistDriver({ pool, schema: freshSchema("lease_pool") });
    try {
      const taken = await driver.acquireLease("s", "a", 60_000);
      assert.ok(taken.acquired);
      const events = makeEvents("s", 0, 3);
      await driver.insertEventsFenced(taken.lease, events);
      await driver.insertEventsFenced(taken.lease, events); // stored repeats: clashes read after the transaction
      await driver.updateSessionFenced(taken.lease, minimalRecord("s"));
      await assert.rejects(driver.insertEventsFenced({ ...taken.lease, token: 2 }, makeEvents("s", 3, 4)), { name: "LeaseLostError" });
      assert.equal((await driver.listEvents({ sessionId: "s" })).items.length, 3);
    } finally {
      await driver.close();
      await pool.end();
    }
  });

  it("fenced writes signal followers like plain ones (notify: true), single events and batches", async () => {
    const schema = freshSchema("lease_notify");
    const writer = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema, notify: true });
    const reader = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    try {
      const taken = await writer.acquireLease("s", "a", 60_000);
      assert.ok(taken.acquired);
      const seen: number[] = [];
      const follower = await reader.followSession("s", (events) => void seen.push(...events.map((e) => e.eventIndex)));
      await writer.insertEventsFenced(taken.lease, makeEvents("s", 0, 1));
      await writer.insertEventsFenced(taken.lease, makeEvents("s", 1, 4));
      await assert.rejects(writer.insertEventsFenced({ ...taken.lease, token: 9 }, makeEvents("s", 4, 5)), { name: "LeaseLostError" });
      for (let waited = 0; seen.length < 4 && waited < 10_000; waited += 20) await sleep(20);
      assert.deepEqual(seen, [0, 1, 2, 3]);
      await follower.close();
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it("a takeover waits for a fenced write in flight (the lease row is held FOR SHARE until it commits)", async () => {
    const schema = freshSchema("lease_order");
    const driver = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    const other = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    const raw = new pg.Client({ connectionString: postgresUrl() });
    await raw.connect();
    try {
      const taken = await driver.acquireLease("s", "a", 1);
      assert.ok(taken.acquired);
      await sleep(20);
      // What a fenced write holds while it writes: the lease row, FOR SHARE, in an open transaction.
      await raw.query("BEGIN");
      await raw.query(`SELECT token FROM "${schema}".durable_agent_leases WHERE session_id = 's' FOR SHARE`);
      let settled = false;
      const takeover = other.acquireLease("s", "b", 60_000).finally(() => (settled = true));
      await sleep(300);
      assert.equal(settled, false, "the takeover waits for the write's transaction");
      await raw.query("COMMIT");
      const result = await takeover;
      assert.ok(result.acquired);
      assert.equal(result.lease.token, 2);
    } finally {
      await raw.end();
      await driver.close();
      await other.close();
    }
  });
});

describe("SQLite leases", () => {
  it("live on their own migration track; a newer lease track is refused", async () => {
    const filename = join(dir, "track.db");
    const driver = new SQLiteSessionPersistDriver({ filename, tablePrefix: "app_" });
    await driver.acquireLease("s", "a", 60_000);
    await driver.close();
    const db = new Database(filename);
    try {
      assert.equal(db.prepare("SELECT max(version) FROM app_lease_schema_version").pluck().get(), 1);
      assert.deepEqual(db.prepare("SELECT session_id, holder, token FROM app_leases").all(), [{ session_id: "s", holder: "a", token: 1 }]);
      db.prepare("INSERT INTO app_lease_schema_version (version, applied_at) VALUES (2, 0)").run();
    } finally {
      db.close();
    }
    assert.throws(() => new SQLiteSessionPersistDriver({ filename, tablePrefix: "app_" }), { name: "SQLiteSchemaVersionError" });
  });
});

describe("Redis leases", () => {
  it("are one hash in the session's hash slot, kept by deleteSession", async () => {
    const keyPrefix = freshPrefix("lease_keys");
    const driver = new RedisSessionPersistDriver({ url: redisUrl(), keyPrefix });
    const admin = adminClient();
    try {
      const taken = await driver.acquireLease("a:b{c}", "h", 60_000);
      assert.ok(taken.acquired);
      await driver.insertEventsFenced(taken.lease, makeEvents("a:b{c}", 0, 2));
      const key = `${keyPrefix}{s:a%3Ab%7Bc%7D}:lease`;
      assert.deepEqual((await keysUnder(admin, keyPrefix)).sort(), [`${keyPrefix}{g}:event-ids`, `${keyPrefix}{s:a%3Ab%7Bc%7D}:events`, key].sort());
      assert.deepEqual(await admin.hgetall(key), { holder: "h", token: "1", expires: String(taken.lease.expiresAt) });
      assert.equal(await admin.ttl(key), -1, "never expires by itself");
      await driver.deleteSession("a:b{c}");
      assert.equal(await admin.exists(key), 1);
    } finally {
      await driver.close();
      admin.disconnect();
    }
  });
});

describe("file store leases", () => {
  it("are a file per session outside the session's directory, kept by deleteSession", async () => {
    const directory = join(dir, "files");
    const driver = new FileSessionPersistDriver({ directory });
    try {
      const taken = await driver.acquireLease("s", "h", 60_000);
      assert.ok(taken.acquired);
      await driver.updateSessionFenced(taken.lease, minimalRecord("s"));
      assert.deepEqual(readdirSync(join(directory, "leases")), ["s-s.json"]);
      await driver.deleteSession("s");
      assert.deepEqual(readdirSync(join(directory, "leases")), ["s-s.json"]);
      assert.equal((await driver.getLease("s"))?.token, 1);
    } finally {
      await driver.close();
    }
  });
});
