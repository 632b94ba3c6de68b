import { afterEach, beforeEach, describe, it } from "vitest";
import { PostgresSessionStore } from "../../drivers/postgres.js";
import { describeSessionStoreConformance } from "../../src/testing.js";
import { postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";

// The session store suite on the run's PostgreSQL server, a schema per test; each peer writer
// is a second store with its own pool on that schema, as another app server would be.

const freshSchema = schemasDroppedAfterAll();
const schemas = new WeakMap<PostgresSessionStore, string>();

describeSessionStoreConformance({
  name: "PostgresSessionStore",
  createStore: () => {
    const schema = freshSchema("store");
    const store = new PostgresSessionStore({ connectionString: postgresUrl(), schema });
    schemas.set(store, schema);
    return store;
  },
  openPeer: (store) => new PostgresSessionStore({ connectionString: postgresUrl(), schema: schemas.get(store) as string }),
  disposeStore: (store) => store.close(),
  test: { describe, it, beforeEach, afterEach, fails: it.fails },
});
