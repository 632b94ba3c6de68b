import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresServer } from "../../harness/index.js";
import { procStat } from "../../harness/process-freeze.js";

// freeze()/thaw() of the PostgreSQL launcher, on a private server: vitest runs test files in
// parallel, and freezing the run's shared server would stall every other PostgreSQL suite.

/** Whether `promise` settles within `ms`. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);
}

describe("harness: PostgresServer.freeze() and thaw()", () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("stalls a query on an open connection until thaw()", async () => {
    const client = new pg.Client({ connectionString: server.url });
    client.on("error", () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      const backend = rows[0]!.pid;
      await server.freeze();
      expect(procStat(backend)?.state).toBe("T");
      const query = client.query<{ one: number }>("SELECT 1 AS one");
      expect(await settlesWithin(query, 500)).toBe(false);
      await server.thaw();
      expect(await settlesWithin(query, 5_000)).toBe(true);
      expect((await query).rows).toEqual([{ one: 1 }]);
      await server.thaw(); // idempotent
    } finally {
      await client.end();
    }
  });

  it("stop() works on a frozen server", async () => {
    const own = await startPostgres();
    const client = new pg.Client({ connectionString: own.url });
    client.on("error", () => undefined);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    await own.freeze();
    const started = performance.now();
    await own.stop();
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(procStat(rows[0]!.pid)).toBeUndefined();
    await client.end().catch(() => undefined);
  });
});
