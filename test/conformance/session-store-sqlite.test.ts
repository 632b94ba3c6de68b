import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, it } from "vitest";
import { SQLiteSessionStore } from "../../drivers/sqlite.js";
import { describeSessionStoreConformance } from "../../src/testing.js";

// The session store suite on an in-memory database (writers share the store), and on WAL
// files where each peer writer is a second store (connection) on the same file.

describeSessionStoreConformance({
  name: "SQLiteSessionStore (:memory:)",
  createStore: () => new SQLiteSessionStore({ filename: ":memory:" }),
  disposeStore: (store) => store.close(),
  test: { describe, it, beforeEach, afterEach, fails: it.fails },
});

const dir = mkdtempSync(join(tmpdir(), "durable-agent-session-store-conformance-"));
let counter = 0;
const files = new WeakMap<SQLiteSessionStore, string>();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeSessionStoreConformance({
  name: "SQLiteSessionStore (file, WAL, a connection per writer)",
  createStore: () => {
    const filename = join(dir, `store-${++counter}.db`);
    const store = new SQLiteSessionStore({ filename });
    files.set(store, filename);
    return store;
  },
  openPeer: (store) => new SQLiteSessionStore({ filename: files.get(store) as string }),
  disposeStore: (store) => store.close(),
  test: { describe, it, beforeEach, afterEach, fails: it.fails },
});
