import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeEvents } from "../fixtures.js";
import type { BenchScale, RawEngine } from "../types.js";

// better-sqlite3 with no driver around it, writing the same events into a table shaped
// like a driver's (text id key, unique (session_id, event_index), JSON payload text):
// a prepared INSERT per event in autocommit, and all of them in one transaction.
// WAL with synchronous=NORMAL: durable across a process crash, as the driver promises.

const SCHEMA = `CREATE TABLE events (
  id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  event_index INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  connection_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  payload TEXT NOT NULL,
  UNIQUE (session_id, event_index)
)`;

const count = (scale: BenchScale) => scale.n(20_000);

async function once(scale: BenchScale, inOneTransaction: boolean): Promise<number> {
  const { default: Database } = await import("better-sqlite3");
  const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-raw-"));
  const db = new Database(join(dir, "raw.db"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(SCHEMA);
    const insert = db.prepare(
      "INSERT INTO events (id, session_id, event_index, created_at, connection_id, sender, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const events = makeEvents("raw-session", count(scale));
    const started = performance.now();
    const write = () => {
      for (const e of events) {
        insert.run(e.id, e.sessionId, e.eventIndex, e.createdAt, e.connectionId, e.sender, JSON.stringify(e.payload));
      }
    };
    if (inOneTransaction) db.transaction(write)();
    else write();
    return events.length / ((performance.now() - started) / 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw better-sqlite3 ingest rates. */
export const rawSqlite: RawEngine = {
  name: "sqlite",
  describe: (scale) => ({
    single: `better-sqlite3 prepared INSERT, autocommit, WAL (${count(scale).toLocaleString("en-US")} events)`,
    batch: `better-sqlite3 prepared INSERT, all ${count(scale).toLocaleString("en-US")} in one transaction`,
  }),
  unavailable: () => undefined,
  async run(scale) {
    return { single: await once(scale, false), batch: await once(scale, true) };
  },
};
