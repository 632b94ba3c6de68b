import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, beforeEach, describe, it } from "vitest";
import { IndexedDbSessionPersistDriver } from "../../drivers/indexeddb.js";
import { describeDriverConformance } from "../../src/testing.js";

// Every test gets its own fake IndexedDB (a fresh factory) and its own database name.
let counter = 0;

describeDriverConformance({
  name: "IndexedDbSessionPersistDriver (fake-indexeddb)",
  createDriver: () =>
    new IndexedDbSessionPersistDriver({ indexedDB: new IDBFactory(), databaseName: `conformance-${++counter}` }),
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
});
