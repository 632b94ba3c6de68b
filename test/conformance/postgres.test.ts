import { afterEach, beforeEach, describe, it } from "vitest";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { describeDriverConformance } from "../../src/testing.js";
import { postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";

// Every test gets a driver on a schema of its own (created by the driver's migration), so
// tests are isolated; the schemas are dropped when the file is done.
const freshSchema = schemasDroppedAfterAll();

describeDriverConformance({
  name: "PostgresSessionPersistDriver",
  createDriver: () => {
    const schema = freshSchema("conf");
    return new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
  },
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
});
