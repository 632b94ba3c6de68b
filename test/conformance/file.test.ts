import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, it } from "vitest";
import { FileSessionPersistDriver } from "../../drivers/file.js";
import { describeDriverConformance } from "../../src/testing.js";

// A fresh directory per test, synced writes (the default) and unsynced ones.
const root = mkdtempSync(join(tmpdir(), "durable-agent-file-conformance-"));
let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeDriverConformance({
  name: "FileSessionPersistDriver",
  createDriver: () => new FileSessionPersistDriver({ directory: join(root, `store-${++counter}`) }),
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
});

describeDriverConformance({
  name: "FileSessionPersistDriver (fsync never)",
  createDriver: () => new FileSessionPersistDriver({ directory: join(root, `store-${++counter}`), fsync: "never" }),
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
});
