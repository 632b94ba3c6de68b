import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { adminPool, postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";
import { runWorkers } from "../support/postgres-workers.js";
import { assertAppended } from "../support/append-workers.js";

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
    const driver = new PostgresSessionPersistDriver({ connectionString: url, schema });
    try {
      await assertAppended(driver, results, WORKERS, count);
    } finally {
      await driver.close();
    }
  }, 120_000);
});
