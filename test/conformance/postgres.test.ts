import { afterAll, afterEach, beforeEach, describe, it } from "vitest";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { describeDriverConformance } from "../../src/testing.js";
import { adminPool, dropSchema, postgresUrl, uniqueSchema } from "../support/postgres.js";

// Every test gets a driver on a schema of its own (created by the driver's migration), so
// tests are isolated; the schemas are dropped when the file is done.
const schemas: string[] = [];

afterAll(async () => {
  const admin = adminPool();
  try {
    for (const schema of schemas) await dropSchema(admin, schema);
  } finally {
    await admin.end();
  }
});

describeDriverConformance({
  name: "PostgresSessionPersistDriver",
  createDriver: () => {
    const schema = uniqueSchema("conf");
    schemas.push(schema);
    return new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
  },
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
});
