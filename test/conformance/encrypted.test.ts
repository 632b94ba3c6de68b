import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, it } from "vitest";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { encryptedPersistDriver } from "../../src/encryption.js";
import { InMemorySessionPersistDriver } from "../../src/index.js";
import { describeDriverConformance } from "../../src/testing.js";

// The driver suite through the encryption decorator: everything a driver promises (validation,
// idempotent re-inserts, conflicts, cursors, copies, capabilities) still holds with payloads
// and record fields encrypted. Two keys, so reads go through the key lookup.

const keys = [
  { id: "k2", key: crypto.getRandomValues(new Uint8Array(32)) },
  { id: "k1", key: crypto.getRandomValues(new Uint8Array(32)) },
];

describeDriverConformance({
  name: "encryptedPersistDriver over InMemorySessionPersistDriver",
  createDriver: () => encryptedPersistDriver(new InMemorySessionPersistDriver(), { keys }),
  disposeDriver: (driver) => driver.close?.(),
  test: { describe, it, beforeEach, afterEach },
  limits: { maxEventsPerSession: 500, maxSessions: 1024 },
});

const dir = mkdtempSync(join(tmpdir(), "durable-agent-encrypted-conformance-"));
let counter = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeDriverConformance({
  name: "encryptedPersistDriver over SQLiteSessionPersistDriver (file, WAL)",
  createDriver: () => encryptedPersistDriver(new SQLiteSessionPersistDriver({ filename: join(dir, `encrypted-${++counter}.db`) }), { keys }),
  disposeDriver: (driver) => driver.close?.(),
  test: { describe, it, beforeEach, afterEach },
});
