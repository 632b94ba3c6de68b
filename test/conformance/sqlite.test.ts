import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, it } from "vitest";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { describeDriverConformance } from "../../src/testing.js";

describeDriverConformance({
  name: "SQLiteSessionPersistDriver (:memory:)",
  createDriver: () => new SQLiteSessionPersistDriver({ filename: ":memory:" }),
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
});

// The same suite on real files in WAL mode, a fresh file per test.
const dir = mkdtempSync(join(tmpdir(), "durable-agent-sqlite-conformance-"));
let counter = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeDriverConformance({
  name: "SQLiteSessionPersistDriver (file, WAL)",
  createDriver: () => new SQLiteSessionPersistDriver({ filename: join(dir, `conformance-${++counter}.db`) }),
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
});
