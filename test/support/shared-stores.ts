import type { AgentStateStorage } from "../../src/persist/agent-state.js";
import type { SessionLeaseCapabilities } from "../../src/persist/leases.js";
import type { PersistDriver } from "../../src/persist/persist-driver.js";

// The stores several processes can share (an SQLite file, PostgreSQL, Redis, a file store),
// named by a JSON-able spec so a test can hand one to its worker processes, and opened the
// same way in the test and in the workers.

/** Which shared store, and its options. */
export type SharedStoreSpec =
  | { kind: "sqlite"; filename: string }
  | { kind: "postgres"; url: string; schema: string }
  | { kind: "redis"; url: string; keyPrefix: string }
  | { kind: "file"; directory: string };

/** A driver of this package: the kit's driver with leases and agent state. */
export type SharedStoreDriver = PersistDriver & SessionLeaseCapabilities & AgentStateStorage;

/** Open the driver of `spec` (its client library loaded only for its kind). */
export async function openSharedStore(spec: SharedStoreSpec): Promise<SharedStoreDriver> {
  switch (spec.kind) {
    case "sqlite":
      return new (await import("../../drivers/sqlite.js")).SQLiteSessionPersistDriver({ filename: spec.filename }) as SharedStoreDriver;
    case "postgres":
      return new (await import("../../drivers/postgres.js")).PostgresSessionPersistDriver({ connectionString: spec.url, schema: spec.schema }) as SharedStoreDriver;
    case "redis":
      return new (await import("../../drivers/redis.js")).RedisSessionPersistDriver({ url: spec.url, keyPrefix: spec.keyPrefix }) as SharedStoreDriver;
    case "file":
      return new (await import("../../drivers/file.js")).FileSessionPersistDriver({ directory: spec.directory }) as SharedStoreDriver;
  }
}
