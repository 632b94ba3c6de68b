import { randomBytes } from "node:crypto";
import { makeEvents } from "../fixtures.js";
import type { BenchScale, RawEngine } from "../types.js";

// fake-indexeddb with no driver around it, writing the same events into a store shaped like
// the driver's (key [sessionId, eventIndex], unique index on id): one add per transaction,
// each awaited, and every event in one transaction. The same engine the bench runs the
// IndexedDB driver on, so the ratios show what the driver adds.

const count = (scale: BenchScale) => scale.n(20_000);

function done(request: IDBRequest | IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    if ("oncomplete" in request) {
      request.oncomplete = () => resolve();
      request.onerror = () => reject(request.error);
      request.onabort = () => reject(request.error);
    } else {
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    }
  });
}

async function once(scale: BenchScale, inOneTransaction: boolean): Promise<number> {
  const { IDBFactory } = await import("fake-indexeddb");
  const factory = new IDBFactory();
  const open = factory.open(`raw-${randomBytes(6).toString("hex")}`, 1);
  open.onupgradeneeded = () => {
    const store = open.result.createObjectStore("events", { keyPath: ["sessionId", "eventIndex"] });
    store.createIndex("byId", "id", { unique: true });
  };
  await done(open);
  const db = open.result;
  try {
    const events = makeEvents("raw-session", count(scale));
    const started = performance.now();
    if (inOneTransaction) {
      const tx = db.transaction("events", "readwrite");
      for (const event of events) tx.objectStore("events").add(event);
      await done(tx);
    } else {
      for (const event of events) {
        const tx = db.transaction("events", "readwrite");
        tx.objectStore("events").add(event);
        await done(tx);
      }
    }
    return events.length / ((performance.now() - started) / 1000);
  } finally {
    db.close();
  }
}

/** Raw fake-indexeddb ingest rates. */
export const rawIndexedDb: RawEngine = {
  name: "indexeddb",
  describe: (scale) => ({
    single: `fake-indexeddb add, one transaction each, awaited (${count(scale).toLocaleString("en-US")} events)`,
    batch: `fake-indexeddb add, all ${count(scale).toLocaleString("en-US")} in one transaction`,
  }),
  unavailable: () => undefined,
  async run(scale) {
    return { single: await once(scale, false), batch: await once(scale, true) };
  },
};
