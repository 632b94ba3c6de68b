import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { SchemaVersionError } from "../src/persist/errors.js";
import type { SessionEvent, SessionPersistCapabilities, SessionPersistDriver } from "../src/persist/types.js";
import { redactCredentials } from "../src/transport/url.js";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import type { StoreLocation } from "./store-url.js";

// Opening a store named by URL. Each backend's module (and its client library, an optional
// peer dependency) is imported only when a URL of its kind is opened, so `durable-agent ls
// sqlite:...` works where ioredis or pg is not installed. Every store is checked with one
// read before a command starts, so an unreachable server is reported at once (exit 3)
// instead of failing mid-way, or waiting forever in a client's reconnect loop.

/** A driver with every capability, as this package's drivers are. */
export type StoreDriver = SessionPersistDriver & SessionPersistCapabilities;

/** Follow a session live through the store's own signal (PostgreSQL LISTEN/NOTIFY). */
export type FollowFn = (
  sessionId: string,
  onEvents: (events: SessionEvent[]) => void | Promise<void>,
  options: { afterIndex: number; onError: (error: unknown) => void },
) => Promise<{ close(): Promise<void> }>;

/** An open store. */
export interface OpenStore {
  /** The backend. */
  readonly kind: StoreLocation["kind"];
  /** The URL as it may be printed (credentials masked). */
  readonly display: string;
  /** The driver. */
  readonly driver: StoreDriver;
  /** Present where the store can signal new events (PostgreSQL). */
  readonly follow?: FollowFn;
  /** Close the driver and every connection the CLI opened for it. */
  close(): Promise<void>;
}

/** What the command does with the store: `read` refuses to create a missing SQLite file or directory. */
export type OpenMode = "read" | "write";

/** How long a server may take to answer the first read before the store counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

function unavailable(display: string, why: string, cause?: unknown): CliError {
  return new CliError("cli.store_unavailable", EXIT.storeUnavailable, `cannot open ${display}: ${redactCredentials(why)}`, { cause });
}

/** A missing peer dependency, as a clear message. */
async function load<T>(display: string, what: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw unavailable(display, `${what} is not installed (npm install ${what})`, error);
    }
    throw error;
  }
}

/**
 * Open the store at `location` and check it answers.
 * @throws CliError `cli.store_unavailable` (exit 3): server down or refusing us, missing file or
 * directory in `read` mode, a schema written by a newer release, a missing client library.
 */
export async function openStore(location: StoreLocation, mode: OpenMode): Promise<OpenStore> {
  const { display } = location;
  let store: OpenStore;
  switch (location.kind) {
    case "sqlite": {
      const path = resolve(location.filename);
      if (mode === "read" && !existsSync(path)) throw unavailable(display, `no SQLite database at ${path}`);
      const { SQLiteSessionPersistDriver } = await load(display, "better-sqlite3", () => import("../drivers/sqlite.js"));
      let driver: StoreDriver;
      try {
        driver = new SQLiteSessionPersistDriver({ filename: path, ...pick("tablePrefix", location.tablePrefix) });
      } catch (error) {
        throw classifyOpenError(display, error);
      }
      store = { kind: "sqlite", display, driver, close: () => driver.close() };
      break;
    }
    case "file": {
      const directory = resolve(location.directory);
      if (mode === "read" && !(existsSync(directory) && statSync(directory).isDirectory())) {
        throw unavailable(display, `no directory at ${directory}`);
      }
      const { FileSessionPersistDriver } = await import("../drivers/file.js");
      const driver = new FileSessionPersistDriver({ directory, fsync: location.fsync });
      store = { kind: "file", display, driver, close: () => driver.close() };
      break;
    }
    case "postgres": {
      const [{ PostgresSessionPersistDriver }, pg] = await load(display, "pg", () =>
        Promise.all([import("../drivers/postgres.js"), import("pg")]),
      );
      const pool = new pg.default.Pool({ connectionString: location.connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
      pool.on("error", () => undefined);
      const driver = new PostgresSessionPersistDriver({
        pool,
        notify: location.notify,
        ...pick("schema", location.schema),
        ...pick("tablePrefix", location.tablePrefix),
      });
      store = {
        kind: "postgres",
        display,
        driver,
        follow: (id, onEvents, options) => driver.followSession(id, onEvents, options),
        close: async () => {
          await driver.close();
          await pool.end();
        },
      };
      break;
    }
    case "redis": {
      const [{ RedisSessionPersistDriver }, { Redis }] = await load(display, "ioredis", () =>
        Promise.all([import("../drivers/redis.js"), import("ioredis")]),
      );
      // Our own client: a bounded reconnect, so an unreachable server fails the command
      // instead of queueing it forever.
      const client = new Redis(location.url, {
        lazyConnect: true,
        connectTimeout: CONNECT_TIMEOUT_MS,
        maxRetriesPerRequest: 3,
        retryStrategy: (attempt) => (attempt > 5 ? null : Math.min(attempt * 200, 1000)),
      });
      client.on("error", () => undefined);
      try {
        await client.connect();
      } catch (error) {
        client.disconnect();
        throw unavailable(display, (error as Error).message, error);
      }
      const driver = new RedisSessionPersistDriver({ client, ...pick("keyPrefix", location.keyPrefix) });
      store = {
        kind: "redis",
        display,
        driver,
        close: async () => {
          await driver.close();
          await client.quit().catch(() => client.disconnect());
        },
      };
      break;
    }
  }
  try {
    await withTimeout(store.driver.listSessions({ limit: 1 }), CONNECT_TIMEOUT_MS * 2, "no answer");
  } catch (error) {
    await store.close().catch(() => undefined);
    throw classifyOpenError(display, error);
  }
  return store;
}

function pick<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${why} within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failure to open or first read a store, as the CLI error it is. */
function classifyOpenError(display: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof SchemaVersionError) return unavailable(display, error.message, error);
  const message = error instanceof Error ? error.message : String(error);
  return unavailable(display, message || String((error as { code?: unknown }).code ?? "unknown error"), error);
}
