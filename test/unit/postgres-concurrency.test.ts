import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { adminPool, postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";
import { runWorkers } from "../support/postgres-workers.js";
import { allEvents } from "../support/client.js";

// Several processes at once against one database: what a fleet of app servers does.

const WORKERS = 4;
const freshSchema = schemasDroppedAfterAll();


describe("PostgresSessionPersistDriver across processes", () => {
  it("migrates exactly once when several processes start on an empty database at once", async () => {
    const schema = freshSchema("mig");
    const url = postgresUrl();
    const results = await runWorkers(
      Array.from({ length: WORKERS }, (_, worker) => ({ mode: "migrate", url, schema, worker })),
    );
    assert.deepEqual(results, Array.from({ length: WORKERS }, () => ({ ok: true })));
    const admin = adminPool();
    try {
      const { rows } = await admin.query(`SELECT version FROM "${schema}".durable_agent_schema_migrations ORDER BY version`);
      assert.deepEqual(rows, [{ version: 1 }]);
    } finally {
      await admin.end();
    }
  }, 60_000);

  it("keeps eventIndex gapless and unique when 4 processes append to one session and to their own", async () => {
    const schema = freshSchema("conc");
    const url = postgresUrl();
    const count = 100;
    const results = await runWorkers(
      Array.from({ length: WORKERS }, (_, worker) => ({
        mode: "append",
        url,
        schema,
        worker,
        count,
        sharedSession: "shared",
        ownSession: `own-${worker}`,
      })),
    );
    for (const result of results) assert.equal(result.ok, true, result.error);
    // The writers really raced: some lost an index to another and retried.
    assert.ok(results.reduce((n, r) => n + (r.conflicts ?? 0), 0) > 0, "the workers never collided");

    const driver = new PostgresSessionPersistDriver({ connectionString: url, schema });
    try {
      const shared = await allEvents(driver, "shared");
      // No gap and no duplicate index: exactly 0..n-1 in order.
      assert.deepEqual(
        shared.map((e) => e.eventIndex),
        Array.from({ length: WORKERS * count }, (_, i) => i),
      );
      // No loss and no duplicate: every id a worker reported written is there exactly once.
      const reported = results.flatMap((r) => r.written ?? []).sort();
      assert.equal(reported.length, WORKERS * count);
      assert.deepEqual(shared.map((e) => e.id).sort(), reported);
      // Each worker's own events are in the order it wrote them.
      for (let worker = 0; worker < WORKERS; worker++) {
        const mine = shared.filter((e) => e.connectionId === `worker-${worker}`).map((e) => e.id);
        assert.deepEqual(mine, Array.from({ length: count }, (_, i) => `w${worker}-shared-${i}`));
        const own = await allEvents(driver, `own-${worker}`);
        assert.deepEqual(
          own.map((e) => [e.eventIndex, e.id]),
          Array.from({ length: count }, (_, i) => [i, `w${worker}-own-${i}`]),
        );
      }
    } finally {
      await driver.close();
    }
  }, 120_000);
});
