import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, inject } from "vitest";

// Helpers for tests that need the run's PostgreSQL server (started in global-setup.ts).

/** Connection string of the test server; throws (failing the test, never skipping it) when there is none. */
export function postgresUrl(): string {
  const url = inject("pgUrl");
  if (!url) throw new Error(`PostgreSQL test server is not available: ${inject("pgError")}`);
  return url;
}

/** A schema name no other test uses. */
export function uniqueSchema(label = "t"): string {
  return `${label}_${randomBytes(6).toString("hex")}`;
}

/** A small pool for test bookkeeping (creating and dropping schemas, inspecting tables). */
export function adminPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: postgresUrl(), max: 2 });
  pool.on("error", () => undefined);
  return pool;
}

/** Drop a test schema and everything in it. */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a test schema: ${schema}`);
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/**
 * A maker of fresh schema names for one test file; every schema it names is dropped when
 * the file's tests are done. Call it at the top level of the file.
 */
export function schemasDroppedAfterAll(): (label?: string) => string {
  const made: string[] = [];
  afterAll(async () => {
    const admin = adminPool();
    try {
      for (const schema of made) await dropSchema(admin, schema);
    } finally {
      await admin.end();
    }
  });
  return (label) => {
    const schema = uniqueSchema(label);
    made.push(schema);
    return schema;
  };
}
