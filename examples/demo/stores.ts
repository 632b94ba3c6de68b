// `--store`: which persistence driver the demo records into. Each backend's driver is loaded
// only when chosen, as an app would (better-sqlite3, pg and ioredis are optional peer dependencies).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InMemorySessionPersistDriver, type SessionPersistDriver } from "../../src/index.js";

/** What the user asked for with `--store`. */
export type StoreSpec =
  | { kind: "sqlite"; filename: string | undefined }
  | { kind: "memory" }
  | { kind: "postgres"; connectionString: string }
  | { kind: "redis"; url: string }
  | { kind: "file"; directory: string | undefined };

/** A `--store` value the demo cannot use; the message says what would work. */
export class StoreSpecError extends Error {
  override readonly name = "StoreSpecError";
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The accepted forms of `--store`, for `--help` and error messages. */
export const STORE_FORMS = [
  "sqlite:<path>        a SQLite file (created when missing, kept afterwards)",
  "sqlite               a temporary SQLite file, removed at exit unless --keep (default)",
  "memory               the in-memory driver (nothing survives the process)",
  "postgres://...       a PostgreSQL database (tables created when missing)",
  "redis://...          a Redis server (keys under durable-agent:)",
  "file:<dir>           a directory of plain files (created when missing, kept afterwards)",
  "file                 a temporary directory of plain files, removed at exit unless --keep",
];

/** Parses a `--store` value; throws {@link StoreSpecError} with a helpful message. */
export function parseStoreSpec(value: string | undefined): StoreSpec {
  if (value === undefined || value === "sqlite" || value === "sqlite:") return { kind: "sqlite", filename: undefined };
  if (value === "memory") return { kind: "memory" };
  if (value.startsWith("sqlite:")) return { kind: "sqlite", filename: resolve(value.slice("sqlite:".length)) };
  if (/^postgres(ql)?:\/\//.test(value)) {
    if (!existsSync(join(REPO_ROOT, "drivers/postgres.ts"))) throw new StoreSpecError("this checkout has no PostgreSQL driver (drivers/postgres.ts)");
    return { kind: "postgres", connectionString: value };
  }
  if (/^rediss?:\/\//.test(value)) return { kind: "redis", url: value };
  if (value === "file" || value === "file:") return { kind: "file", directory: undefined };
  if (value.startsWith("file:")) return { kind: "file", directory: resolve(value.slice("file:".length)) };
  if (/^(indexeddb|idb)(:|$)/i.test(value)) {
    throw new StoreSpecError(
      "the IndexedDB driver runs only in a browser, not in this Node demo. Run the browser demo instead: " +
        "`node --import tsx examples/browser-app/serve.ts` (see examples/browser-app/README.md and docs/drivers/indexeddb.md).",
    );
  }
  throw new StoreSpecError(`unknown store "${value}". Use one of:\n  ${STORE_FORMS.join("\n  ")}`);
}

/** An opened store: drivers on the same data, for one client each. */
export interface DemoStore {
  /** Human-readable location, e.g. `sqlite:/tmp/x/sessions.db (temporary)`. */
  readonly label: string;
  /** Whether {@link DemoStore.open} gives a new driver on data that outlives it (false for memory). */
  readonly durable: boolean;
  /**
   * A driver on the store's data: a new driver instance each time for a file or a database
   * (as a new process would open), the same instance for memory.
   */
  open(): Promise<SessionPersistDriver>;
  /** Closes one driver from {@link DemoStore.open} (a no-op for memory). */
  release(driver: SessionPersistDriver): Promise<void>;
  /** Closes every driver still open and removes a temporary file unless `keep`. Idempotent. */
  close(): Promise<void>;
}

interface Closable {
  close(): Promise<void> | void;
}

/** Opens the store a spec names. `keep` keeps a temporary SQLite file after {@link DemoStore.close}. */
export async function openStore(spec: StoreSpec, keep: boolean): Promise<DemoStore> {
  if (spec.kind === "memory") {
    const driver = new InMemorySessionPersistDriver();
    return {
      label: "memory (in this process only)",
      durable: false,
      open: async () => driver,
      release: async () => undefined,
      close: async () => undefined,
    };
  }
  let make: () => Promise<SessionPersistDriver & Closable>;
  let label: string;
  let tempDir: string | undefined;
  if (spec.kind === "sqlite") {
    const { SQLiteSessionPersistDriver } = await import("../../drivers/sqlite.js");
    let filename = spec.filename;
    if (filename === undefined) {
      tempDir = mkdtempSync(join(tmpdir(), "durable-agent-demo-"));
      filename = join(tempDir, "sessions.db");
      label = `sqlite:${filename} (temporary${keep ? ", kept" : ", removed at exit"})`;
    } else {
      mkdirSync(dirname(filename), { recursive: true });
      label = `sqlite:${filename}`;
    }
    const file = filename;
    make = async () => new SQLiteSessionPersistDriver({ filename: file });
  } else if (spec.kind === "file") {
    const { FileSessionPersistDriver } = await import("../../drivers/file.js");
    let directory = spec.directory;
    if (directory === undefined) {
      tempDir = mkdtempSync(join(tmpdir(), "durable-agent-demo-"));
      directory = join(tempDir, "sessions");
      label = `file:${directory} (temporary${keep ? ", kept" : ", removed at exit"})`;
    } else {
      label = `file:${directory}`;
    }
    const dir = directory;
    make = async () => new FileSessionPersistDriver({ directory: dir });
  } else if (spec.kind === "redis") {
    const { RedisSessionPersistDriver } = await import("../../drivers/redis.js");
    label = redactPassword(spec.url);
    make = async () => new RedisSessionPersistDriver({ url: spec.url });
  } else {
    const { PostgresSessionPersistDriver } = await import("../../drivers/postgres.js");
    label = redactPassword(spec.connectionString);
    make = async () => new PostgresSessionPersistDriver({ connectionString: spec.connectionString });
  }
  const open = new Set<SessionPersistDriver & Closable>();
  let closed = false;
  const release = async (driver: SessionPersistDriver): Promise<void> => {
    const owned = [...open].find((d) => d === driver);
    if (!owned) return;
    open.delete(owned);
    await owned.close();
  };
  return {
    label,
    durable: true,
    open: async () => {
      const driver = await make();
      open.add(driver);
      return driver;
    },
    release,
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...open].map((driver) => release(driver)));
      if (tempDir !== undefined && !keep) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

function redactPassword(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return `${connectionString.slice(0, connectionString.indexOf(":"))}://(unparsable URL)`;
  }
}
