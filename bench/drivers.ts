import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { SessionPersistDriver } from "../src/persist/types.js";
import { closeVia } from "../src/persist/capabilities.js";
import type { BenchEnvironment, DriverFactory, DriverInstance } from "./types.js";
import { loadExport, repoFileExists } from "./support/load.js";
import { unlinkUnder } from "./support/redis-keys.js";

// The registry of drivers the bench knows. Each factory yields a fresh, empty store and a
// cleanup that removes it. To add a driver, add a factory here.

type Ctor<O> = new (options: O) => SessionPersistDriver;

const MEMORY_FILE = "src/persist/memory.ts";
const SQLITE_FILE = "drivers/sqlite.ts";
const POSTGRES_FILE = "drivers/postgres.ts";
const INDEXEDDB_FILE = "drivers/indexeddb.ts";
const REDIS_FILE = "drivers/redis.ts";
const FILE_FILE = "drivers/file.ts";
const ENCRYPTION_FILE = "src/encryption.ts";

const missing = (file: string) => (repoFileExists(file) ? undefined : `${file} is not in the tree yet`);

/** The in-memory driver, with caps well above what any workload writes. */
const memory: DriverFactory = {
  name: "memory",
  title: "InMemorySessionPersistDriver",
  unavailable: () => missing(MEMORY_FILE),
  async create(): Promise<DriverInstance> {
    const Driver = await loadExport<Ctor<{ maxSessions: number; maxEventsPerSession: number }>>(
      MEMORY_FILE,
      "InMemorySessionPersistDriver",
    );
    const driver = new Driver({ maxSessions: 1_000_000, maxEventsPerSession: 10_000_000 });
    return { driver, cleanup: () => closeVia(driver) };
  },
};

/** The SQLite driver on a file in a fresh temp directory (WAL, as the driver sets it up). */
const sqlite: DriverFactory = {
  name: "sqlite",
  title: "SQLiteSessionPersistDriver",
  engine: "sqlite",
  unavailable: () => missing(SQLITE_FILE),
  async create(): Promise<DriverInstance> {
    const Driver = await loadExport<Ctor<{ filename: string }>>(SQLITE_FILE, "SQLiteSessionPersistDriver");
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-"));
    const driver = new Driver({ filename: join(dir, "bench.db") });
    return {
      driver,
      async cleanup() {
        await closeVia(driver);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** The Postgres driver in a fresh schema of the bench's server; the schema is dropped afterwards. */
const postgres: DriverFactory = {
  name: "postgres",
  title: "PostgresSessionPersistDriver",
  engine: "postgres",
  needsPostgres: true,
  unavailable: () => missing(POSTGRES_FILE),
  async create(env: BenchEnvironment): Promise<DriverInstance> {
    if (!env.postgresUrl) throw new Error("the postgres driver needs the bench's PostgreSQL server");
    const Driver = await loadExport<Ctor<{ connectionString: string; schema: string }>>(
      POSTGRES_FILE,
      "PostgresSessionPersistDriver",
    );
    const schema = `bench_${randomBytes(6).toString("hex")}`;
    const driver = new Driver({ connectionString: env.postgresUrl, schema });
    const url = env.postgresUrl;
    return {
      driver,
      async cleanup() {
        await closeVia(driver);
        const { default: pg } = await import("pg");
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await client.end();
        }
      },
    };
  },
};

/** The IndexedDB driver on fake-indexeddb, a fresh factory (so a fresh database) per store. */
const indexeddb: DriverFactory = {
  name: "indexeddb",
  title: "IndexedDbSessionPersistDriver (fake-indexeddb)",
  engine: "indexeddb",
  unavailable: () => missing(INDEXEDDB_FILE),
  async create(): Promise<DriverInstance> {
    // The auto entry installs the IDB globals (IDBKeyRange, ...) a driver may use directly.
    const auto = "fake-indexeddb/auto"; // its export map has no types entry
    await import(auto);
    const { IDBFactory } = await import("fake-indexeddb");
    const Driver = await loadExport<Ctor<{ databaseName: string; indexedDB: IDBFactory }>>(
      INDEXEDDB_FILE,
      "IndexedDbSessionPersistDriver",
    );
    const driver = new Driver({ databaseName: `bench-${randomBytes(6).toString("hex")}`, indexedDB: new IDBFactory() });
    return { driver, cleanup: () => closeVia(driver) };
  },
};

/** The Redis driver under a fresh key prefix on the bench's server; its keys are removed afterwards. */
const redis: DriverFactory = {
  name: "redis",
  title: "RedisSessionPersistDriver",
  engine: "redis",
  needsRedis: true,
  unavailable: () => missing(REDIS_FILE),
  async create(env: BenchEnvironment): Promise<DriverInstance> {
    if (!env.redisUrl) throw new Error("the redis driver needs the bench's Redis server");
    const Driver = await loadExport<Ctor<{ url: string; keyPrefix: string }>>(REDIS_FILE, "RedisSessionPersistDriver");
    const keyPrefix = `bench:${randomBytes(6).toString("hex")}:`;
    const driver = new Driver({ url: env.redisUrl, keyPrefix });
    const url = env.redisUrl;
    return {
      driver,
      async cleanup() {
        await closeVia(driver);
        const { Redis } = await import("ioredis");
        const client = new Redis(url);
        try {
          await unlinkUnder(client, keyPrefix);
        } finally {
          await client.quit();
        }
      },
    };
  },
};

/** The file driver in a fresh temp directory, fsync "always" (every write synced before it is acknowledged). */
const file: DriverFactory = {
  name: "file",
  title: "FileSessionPersistDriver",
  engine: "file",
  unavailable: () => missing(FILE_FILE),
  async create(): Promise<DriverInstance> {
    const Driver = await loadExport<Ctor<{ directory: string }>>(FILE_FILE, "FileSessionPersistDriver");
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-"));
    const driver = new Driver({ directory: join(dir, "store") });
    return {
      driver,
      async cleanup() {
        await closeVia(driver);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/**
 * The SQLite driver behind `encryptedPersistDriver` (durable-agent/encryption) with a random
 * 256-bit key: what encryption at rest costs on top of the same engine.
 */
const sqliteEncrypted: DriverFactory = {
  name: "sqlite-encrypted",
  title: "encryptedPersistDriver(SQLiteSessionPersistDriver)",
  engine: "sqlite",
  unavailable: () => missing(SQLITE_FILE) ?? missing(ENCRYPTION_FILE),
  async create(): Promise<DriverInstance> {
    const Driver = await loadExport<Ctor<{ filename: string }>>(SQLITE_FILE, "SQLiteSessionPersistDriver");
    const encrypt = await loadExport<(driver: SessionPersistDriver, options: { keys: { id: string; key: Uint8Array }[] }) => SessionPersistDriver>(
      ENCRYPTION_FILE,
      "encryptedPersistDriver",
    );
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-"));
    const driver = encrypt(new Driver({ filename: join(dir, "bench.db") }), { keys: [{ id: "bench", key: new Uint8Array(randomBytes(32)) }] });
    return {
      driver,
      async cleanup() {
        await closeVia(driver);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Every driver the bench knows, in table order. */
export const DRIVER_FACTORIES: readonly DriverFactory[] = [memory, sqlite, sqliteEncrypted, postgres, indexeddb, redis, file];

/** The factory named `name`, or `undefined`. */
export function driverFactory(name: string): DriverFactory | undefined {
  return DRIVER_FACTORIES.find((f) => f.name === name);
}
