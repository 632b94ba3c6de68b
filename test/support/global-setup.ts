import type { TestProject } from "vitest/node";
import { startPostgres, startRedis } from "../../harness/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Connection string of the run's PostgreSQL server; empty when it could not start (outside CI only). */
    pgUrl: string;
    /** Why PostgreSQL could not start, when it could not. */
    pgError: string;
    /** URL of the run's Redis server; empty when it could not start (outside CI only). */
    redisUrl: string;
    /** Why Redis could not start, when it could not. */
    redisError: string;
  }
}

// Starts the services the suites share and stops them when the run ends. Each service
// module exports start(): Promise<{ env, stop }>; the env it returns is provided to tests.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  try {
    const postgres = await startPostgres();
    stops.push(() => postgres.stop());
    project.provide("pgUrl", postgres.url);
    project.provide("pgError", "");
  } catch (error) {
    // In CI a missing server fails the run. Locally the other suites still run, and every
    // PostgreSQL test fails with this reason (none is skipped).
    if (process.env.CI === "true") throw error;
    project.provide("pgUrl", "");
    project.provide("pgError", String(error));
  }
  try {
    const redis = await startRedis();
    stops.push(() => redis.stop());
    project.provide("redisUrl", redis.url);
    project.provide("redisError", "");
  } catch (error) {
    // The same rule as PostgreSQL: fatal in CI, every Redis test fails with the reason elsewhere.
    if (process.env.CI === "true") {
      for (const stop of stops.reverse()) await stop();
      throw error;
    }
    project.provide("redisUrl", "");
    project.provide("redisError", String(error));
  }
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
