import { randomBytes } from "node:crypto";
import { makeEvents } from "../fixtures.js";
import type { BenchScale, RawEngine } from "../types.js";

// pg with no driver around it, writing the same events into a table shaped like a
// driver's (text id key, unique (session_id, event_index), JSONB payload) on the bench's
// durable server: one awaited single-row INSERT per event, and 500-row multi-row INSERTs.

const BATCH = 500;
const COLUMNS = 7;
const count = (scale: BenchScale) => scale.n(20_000);

async function once(url: string, scale: BenchScale, batched: boolean): Promise<number> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const schema = `bench_raw_${randomBytes(6).toString("hex")}`;
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`CREATE TABLE ${schema}.events (
      id TEXT PRIMARY KEY,
      session_id TEXT NOT NULL,
      event_index BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      connection_id TEXT NOT NULL,
      sender TEXT NOT NULL,
      payload JSONB NOT NULL,
      UNIQUE (session_id, event_index)
    )`);
    const head = `INSERT INTO ${schema}.events (id, session_id, event_index, created_at, connection_id, sender, payload) VALUES `;
    const events = makeEvents("raw-session", count(scale));
    const started = performance.now();
    const step = batched ? BATCH : 1;
    for (let at = 0; at < events.length; at += step) {
      const slice = events.slice(at, at + step);
      const values: unknown[] = [];
      const rows = slice.map((e, i) => {
        values.push(e.id, e.sessionId, e.eventIndex, e.createdAt, e.connectionId, e.sender, JSON.stringify(e.payload));
        const p = i * COLUMNS;
        return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7})`;
      });
      await client.query(head + rows.join(", "), values);
    }
    return events.length / ((performance.now() - started) / 1000);
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client.end();
  }
}

/** Raw pg ingest rates. */
export const rawPostgres: RawEngine = {
  name: "postgres",
  describe: (scale) => ({
    single: `pg single-row INSERT, each awaited (${count(scale).toLocaleString("en-US")} events, fsync on)`,
    batch: `pg ${BATCH}-row multi-row INSERTs (${count(scale).toLocaleString("en-US")} events, fsync on)`,
  }),
  unavailable: (env) => (env.postgresUrl ? undefined : "no PostgreSQL server for the bench"),
  async run(scale, env) {
    const url = env.postgresUrl as string;
    return { single: await once(url, scale, false), batch: await once(url, scale, true) };
  },
};
