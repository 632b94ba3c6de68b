import "fake-indexeddb/auto";
import { IDBFactory, IDBKeyRange as FakeKeyRange, IDBObjectStore as FakeObjectStore } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { IndexedDbSessionPersistDriver } from "../../drivers/indexeddb.js";
import { recordedTurns } from "../../src/conformance/turns.js";
import { applyRetention } from "../../src/lifecycle/retention.js";

describe("IndexedDB retention path (fake-indexeddb; Chromium in test/browser/retention.test.ts)", () => {
  it("a trim is one key-range delete per session, never a delete per event", async () => {
    const driver = new IndexedDbSessionPersistDriver({ indexedDB: new IDBFactory(), databaseName: "retention-path" });
    for (let s = 0; s < 3; s++) {
      const id = `s${s}`;
      await driver.updateSession({ id, agent: "mock", agentSessionId: "a", lastConnectionId: "c", createdAt: 1 + s });
      await driver.insertEvents(id, recordedTurns({ sessionId: id, turns: 50 }));
    }
    const deletes: unknown[] = [];
    const original = FakeObjectStore.prototype.delete;
    FakeObjectStore.prototype.delete = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
      deletes.push(key);
      return original.call(this, key);
    } as typeof original;
    try {
      const report = await applyRetention(driver, { maxEventsPerSession: 41, replay: { maxEvents: 2 } }, { now: 2 });
      expect(report.trimmedSessions).toHaveLength(3);
    } finally {
      FakeObjectStore.prototype.delete = original;
    }
    expect(deletes).toHaveLength(3);
    for (const key of deletes) expect(key).toBeInstanceOf(FakeKeyRange);
    expect((await driver.listEvents({ sessionId: "s1", limit: 1 })).items[0]!.eventIndex).toBe(159);
    await driver.close();
  });
});
