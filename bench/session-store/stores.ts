import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { foldSessionSummary } from "@anthropic-ai/claude-agent-sdk";
import { FileSessionStore } from "../../drivers/file.js";
import { PostgresSessionStore } from "../../drivers/postgres.js";
import { RedisSessionStore } from "../../drivers/redis.js";
import { SQLiteSessionStore } from "../../drivers/sqlite.js";
import { unlinkUnder } from "../support/redis-keys.js";
import type { Subject } from "./subject.js";

// This package's session stores as bench subjects: a fresh schema of the bench's durable
// server, a fresh file (WAL, synchronous=NORMAL, the store's default), a fresh key prefix of
// the bench's Redis server (AOF everysec), or a fresh directory (fsync "always", the file
// store's default), each time.

/** PostgresSessionStore in a fresh schema, dropped afterwards. */
export const postgresStore: Subject = {
  name: "PostgresSessionStore",
  engine: "postgres",
  reference: false,
  async open(url) {
    if (url === undefined) throw new Error("no PostgreSQL server for the bench");
    const schema = `bench_store_${randomBytes(6).toString("hex")}`;
    const store = new PostgresSessionStore({ connectionString: url, schema, foldSessionSummary });
    await store.listSessions("warm-up"); // connect and migrate outside the timings
    return {
      store,
      async cleanup() {
        await store.close();
        const { default: pg } = await import("pg");
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => admin.end());
      },
    };
  },
};

/** SQLiteSessionStore on a file in a fresh temp directory. */
export const sqliteStore: Subject = {
  name: "SQLiteSessionStore",
  engine: "sqlite",
  reference: false,
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-store-"));
    const store = new SQLiteSessionStore({ filename: join(dir, "store.db"), foldSessionSummary });
    return {
      store,
      async cleanup() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** RedisSessionStore under a fresh key prefix of the bench's server; its keys are removed afterwards. */
export const redisStore: Subject = {
  name: "RedisSessionStore",
  engine: "redis",
  reference: false,
  async open(_postgresUrl, redisUrl) {
    if (redisUrl === undefined) throw new Error("no Redis server for the bench");
    const { Redis } = await import("ioredis");
    const client = new Redis(redisUrl);
    const keyPrefix = `bench-store:${randomBytes(6).toString("hex")}:`;
    const store = new RedisSessionStore({ client, keyPrefix, foldSessionSummary });
    return {
      store,
      async cleanup() {
        await store.close();
        await unlinkUnder(client, keyPrefix);
        await client.quit();
      },
    };
  },
};

/** FileSessionStore in a fresh temp directory. */
export const fileStore: Subject = {
  name: "FileSessionStore",
  engine: "file",
  reference: false,
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-store-"));
    const store = new FileSessionStore({ directory: dir, foldSessionSummary });
    return {
      store,
      async cleanup() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
