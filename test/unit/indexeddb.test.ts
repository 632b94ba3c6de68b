import "fake-indexeddb/auto";
import { IDBFactory, forceCloseDatabase } from "fake-indexeddb";
import assert from "node:assert/strict";
import { describe, expect, it } from "vitest";
import {
  IndexedDbBlockedError,
  IndexedDbSchemaError,
  IndexedDbSessionPersistDriver,
  IndexedDbUnavailableError,
  IndexedDbSchemaVersionError,
  INDEXEDDB_SCHEMA_VERSION,
} from "../../drivers/indexeddb.js";
import { orderKey } from "../../drivers/indexeddb/keys.js";
import { openDatabase } from "../../drivers/indexeddb/connection.js";
import { compareCodePoints } from "../../src/persist/cursor.js";
import { EventConflictError, PersistValidationError } from "../../src/persist/errors.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";

// IndexedDB-specific behaviour the shared conformance suite cannot see: what happens when
// the browser or another tab takes the database away, blocked and refused upgrades,
// several tabs writing one session, and the binary key that gives code-point order.

/** A factory that remembers every connection it opened, as the browser would hold them. */
function trackedFactory(): { factory: IDBFactory; connections: IDBDatabase[] } {
  const inner = new IDBFactory();
  const connections: IDBDatabase[] = [];
  const factory = Object.create(inner) as IDBFactory;
  factory.open = (name: string, version?: number) => {
    const request = inner.open(name, version);
    request.addEventListener("success", () => connections.push(request.result));
    return request;
  };
  return { factory, connections };
}

function record(id: string, createdAt = 1000): SessionRecord {
  return { id, agent: "mock", agentSessionId: `agent-${id}`, lastConnectionId: "c1", createdAt, modes: null };
}

function event(sessionId: string, eventIndex: number, id = `${sessionId}-e${eventIndex}`): SessionEvent {
  return {
    id,
    eventIndex,
    sessionId,
    createdAt: 2000 + eventIndex,
    connectionId: "c1",
    sender: eventIndex % 2 === 0 ? "client" : "agent",
    payload: { jsonrpc: "2.0", method: "session/update", params: { n: eventIndex } },
  };
}

/** Open `name` raw at `version`, creating the given stores on upgrade. */
function openRaw(factory: IDBFactory, name: string, version: number, stores: string[] = []): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, version);
    request.onupgradeneeded = () => {
      for (const store of stores) if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error(`opening "${name}" at version ${version} is blocked`));
  });
}

describe("IndexedDbSessionPersistDriver: connection lifecycle", () => {
  it("data written by one driver is read back by a new driver on the same database (a page reload)", async () => {
    const factory = new IDBFactory();
    const first = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "reload" });
    await first.updateSession(record("s1"));
    await first.insertEvents("s1", [event("s1", 0), event("s1", 1), event("s1", 2)]);
    await first.close();

    const second = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "reload" });
    assert.deepEqual(await second.getSession("s1"), record("s1"));
    assert.deepEqual((await second.listEvents({ sessionId: "s1" })).items, [event("s1", 0), event("s1", 1), event("s1", 2)]);
    assert.deepEqual(await second.listLatestEvents("s1", 2), [event("s1", 1), event("s1", 2)]);
    await second.close();
  });

  it("reopens transparently after the browser closes the database (close event)", async () => {
    const { factory, connections } = trackedFactory();
    const driver = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "forced" });
    await driver.updateSession(record("s1"));
    await driver.insertEvent("s1", event("s1", 0));
    assert.equal(connections.length, 1);

    // (fake-indexeddb types its parameter as the IDBDatabase class, not an instance.)
    forceCloseDatabase(connections[0]! as unknown as Parameters<typeof forceCloseDatabase>[0]);

    assert.deepEqual(await driver.getSession("s1"), record("s1"));
    await driver.insertEvent("s1", event("s1", 1));
    assert.deepEqual((await driver.listEvents({ sessionId: "s1" })).items, [event("s1", 0), event("s1", 1)]);
    assert.equal(connections.length, 2, "a second connection was opened");
    await driver.close();
  });

  it("recovers when its connection was closed without any event", async () => {
    const { factory, connections } = trackedFactory();
    const driver = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "silent" });
    await driver.updateSession(record("s1"));
    connections[0]!.close();

    assert.deepEqual(await driver.getSession("s1"), record("s1"));
    assert.equal(connections.length, 2);
    await driver.close();
  });

  it("lets another tab delete the database, then starts afresh", async () => {
    const factory = new IDBFactory();
    const driver = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "deleted" });
    await driver.updateSession(record("s1"));
    await new Promise<void>((resolve, reject) => {
      const request = factory.deleteDatabase("deleted");
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("the driver blocked the deletion"));
    });

    assert.equal(await driver.getSession("s1"), undefined);
    await driver.updateSession(record("s2"));
    assert.deepEqual((await driver.listSessions()).items, [record("s2")]);
    await driver.close();
  });

  it("steps aside for a newer app version's upgrade, then refuses to use the newer schema", async () => {
    const factory = new IDBFactory();
    const driver = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "newer" });
    await driver.updateSession(record("s1"));

    // Another tab runs a newer release that upgrades the schema; our open connection must not block it.
    const newer = await openRaw(factory, "newer", INDEXEDDB_SCHEMA_VERSION + 1, ["added-later"]);
    assert.ok(newer.objectStoreNames.contains("sessions"), "the stored data is still there for the newer release");
    newer.close();

    const error = await driver.getSession("s1").catch((e: unknown) => e);
    assert.ok(error instanceof IndexedDbSchemaVersionError, String(error));
    assert.equal(error.code, "persist.indexeddb.version");
    await driver.close();
  });

  it("refuses a database of the same name that it did not create, and changes nothing", async () => {
    const factory = new IDBFactory();
    const foreign = await openRaw(factory, "foreign", INDEXEDDB_SCHEMA_VERSION, ["todos"]);
    foreign.close();
    const driver = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "foreign" });

    const error = await driver.updateSession(record("s1")).catch((e: unknown) => e);
    assert.ok(error instanceof IndexedDbSchemaError, String(error));
    const reopened = await openRaw(factory, "foreign", INDEXEDDB_SCHEMA_VERSION);
    assert.deepEqual([...reopened.objectStoreNames], ["todos"]);
    reopened.close();
    await driver.close();
  });

  it("says clearly when there is no IndexedDB at all", async () => {
    const saved = globalThis.indexedDB;
    Reflect.deleteProperty(globalThis, "indexedDB");
    try {
      const driver = new IndexedDbSessionPersistDriver();
      await expect(driver.getSession("s1")).rejects.toBeInstanceOf(IndexedDbUnavailableError);
    } finally {
      globalThis.indexedDB = saved;
    }
  });

  it("refuses bad options with a validation error", () => {
    assert.throws(() => new IndexedDbSessionPersistDriver({ databaseName: "" }), PersistValidationError);
    assert.throws(() => new IndexedDbSessionPersistDriver({ blockedTimeoutMs: -1 }), PersistValidationError);
    assert.throws(
      () => new IndexedDbSessionPersistDriver({ durability: "eventually" as IDBTransactionDurability }),
      PersistValidationError,
    );
  });

  it("close() while the database is still opening closes the connection once it opens", async () => {
    const { factory, connections } = trackedFactory();
    const driver = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "closing" });
    const pending = driver.getSession("s1");
    await driver.close();
    await pending.catch(() => undefined);
    assert.equal(connections.length, 1, "the driver's connection did open");
    // Nothing holds it any more: another connection can upgrade the database without being blocked.
    const next = await openRaw(factory, "closing", INDEXEDDB_SCHEMA_VERSION + 1);
    next.close();
  });
});

describe("IndexedDB upgrades blocked by another connection", () => {
  const steps = {
    requiredStores: [] as string[],
    upgrade: (db: IDBDatabase, _tx: IDBTransaction, oldVersion: number) => {
      if (oldVersion < 1) db.createObjectStore("v1");
      db.createObjectStore(`v${db.version}`);
    },
    onLost: () => undefined,
  };

  it("rejects with IndexedDbBlockedError after the timeout, then succeeds once the other tab lets go", async () => {
    const factory = new IDBFactory();
    const oldTab = await openRaw(factory, "blocked", 1, ["v1"]); // ignores versionchange, like an old release

    const error = await openDatabase({ ...steps, factory, name: "blocked", version: 2, blockedTimeoutMs: 20 }).catch(
      (e: unknown) => e,
    );
    assert.ok(error instanceof IndexedDbBlockedError, String(error));
    assert.equal(error.currentVersion, 1);
    assert.equal(error.requestedVersion, 2);

    oldTab.close();
    const db = await openDatabase({ ...steps, factory, name: "blocked", version: 2, blockedTimeoutMs: 20 });
    assert.equal(db.version, 2);
    assert.ok(db.objectStoreNames.contains("v2"));
    db.close();
  });

  it("waits for ever when blockedTimeoutMs is Infinity", async () => {
    const factory = new IDBFactory();
    const oldTab = await openRaw(factory, "waiting", 1, ["v1"]);
    let opened = false;
    const pending = openDatabase({ ...steps, factory, name: "waiting", version: 2, blockedTimeoutMs: Infinity }).then(
      (db) => {
        opened = true;
        return db;
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(opened, false);
    oldTab.close();
    const db = await pending;
    assert.equal(db.version, 2);
    db.close();
  });

  it("an upgrade step that throws rolls the whole upgrade back", async () => {
    const factory = new IDBFactory();
    (await openRaw(factory, "rollback", 1, ["v1"])).close();
    const failing = {
      ...steps,
      upgrade: (db: IDBDatabase) => {
        db.createObjectStore("half-done");
        throw new Error("step 2 failed");
      },
    };
    await expect(openDatabase({ ...failing, factory, name: "rollback", version: 2, blockedTimeoutMs: 20 })).rejects.toThrow(
      /step 2 failed/,
    );
    const db = await openRaw(factory, "rollback", 1);
    assert.deepEqual([...db.objectStoreNames], ["v1"]);
    db.close();
  });
});

describe("IndexedDbSessionPersistDriver: several tabs on one database", () => {
  it("two drivers racing for the same eventIndex: exactly one wins, the other gets a conflict", async () => {
    const factory = new IDBFactory();
    const tabA = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "tabs" });
    const tabB = new IndexedDbSessionPersistDriver({ indexedDB: factory, databaseName: "tabs" });
    for (let i = 0; i < 20; i++) {
      const results = await Promise.allSettled([
        tabA.insertEvents("s1", [event("s1", i, `a-${i}`)]),
        tabB.insertEvents("s1", [event("s1", i, `b-${i}`)]),
      ]);
      const rejected = results.filter((r) => r.status === "rejected");
      assert.equal(rejected.length, 1);
      const reason = (rejected[0] as PromiseRejectedResult).reason as unknown;
      assert.ok(reason instanceof EventConflictError && reason.reason === "eventIndex", String(reason));
    }
    const items = (await tabA.listEvents({ sessionId: "s1" })).items;
    assert.deepEqual(
      items.map((e) => e.eventIndex),
      Array.from({ length: 20 }, (_, i) => i),
    );
    await tabA.close();
    await tabB.close();
  });
});

describe("orderKey: IndexedDB binary key order equals code-point order", () => {
  it("agrees with compareCodePoints on strings mixing BMP, private-use, astral and lone surrogates", () => {
    const alphabet = ["a", "z", "\u00e9", "\ud7ff", "\ue000", "\uffff", "\ufffd", "😀", "\u{10ffff}", "\ud800", "\udfff", ""];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const strings = Array.from({ length: 300 }, () =>
      Array.from({ length: Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(""),
    );
    const factory = new IDBFactory();
    const cmp = (a: ArrayBuffer, b: ArrayBuffer) => factory.cmp(a, b);
    for (let i = 0; i < strings.length; i++) {
      for (let j = 0; j < 20; j++) {
        const a = strings[i]!;
        const b = strings[(i * 7 + j) % strings.length]!;
        assert.equal(cmp(orderKey(a), orderKey(b)), Math.sign(compareCodePoints(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    }
  });
});
