import { insertEventsVia } from "../../src/persist/capabilities.js";
import type { SessionPersistDriver } from "../../src/persist/types.js";
import { makeEvents, makeRecord, sessionIdOf } from "../fixtures.js";

// Data-set builders for the workloads' untimed `prepare` step. Large sessions go through
// the batch capability (insertEventsVia), so seeding 100,000 events stays quick.

const SEED_BATCH = 1000;

/** Write session record `n` and `count` events under it; returns the session id. */
export async function seedSession(driver: SessionPersistDriver, n: number, count: number): Promise<string> {
  const sessionId = sessionIdOf(n);
  await driver.updateSession(makeRecord(n));
  for (let at = 0; at < count; at += SEED_BATCH) {
    await insertEventsVia(driver, sessionId, makeEvents(sessionId, Math.min(SEED_BATCH, count - at), at));
  }
  return sessionId;
}
