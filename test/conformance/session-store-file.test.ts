import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, it } from "vitest";
import { FileSessionStore } from "../../drivers/file.js";
import { describeSessionStoreConformance } from "../../src/testing.js";

// A fresh directory per test; the peer of the several-writers tests is a second store on the
// same directory (what another process is: its own lock token, its own caches).
const root = mkdtempSync(join(tmpdir(), "durable-agent-file-store-"));
let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));
const directories = new WeakMap<FileSessionStore, string>();

describeSessionStoreConformance({
  name: "FileSessionStore",
  createStore: () => {
    const directory = join(root, `store-${++counter}`);
    const store = new FileSessionStore({ directory });
    directories.set(store, directory);
    return store;
  },
  openPeer: (store) => new FileSessionStore({ directory: directories.get(store) as string }),
  disposeStore: (store) => store.close(),
  test: { describe, it, beforeEach, afterEach, fails: it.fails },
});
