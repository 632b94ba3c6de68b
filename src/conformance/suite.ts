import type { SessionPersistDriver } from "../persist/types.js";
import { agentStateTests } from "./agent-state.js";
import { closeTests, deleteSessionTests, insertEventsTests, listLatestEventsTests } from "./capabilities.js";
import { conflictTests } from "./conflicts.js";
import { createContext } from "./context.js";
import { copyTests } from "./copies.js";
import { cursorTests } from "./cursors.js";
import { eventPagingTests } from "./events-paging.js";
import { retentionTests } from "./retention.js";
import { insertSessionTests } from "./insert-session.js";
import { leaseCapabilityTests } from "./leases.js";
import { roundTripTests } from "./round-trip.js";
import { sessionTests } from "./sessions.js";
import type { DriverConformanceOptions } from "./types.js";
import { validationTests } from "./validation.js";

/**
 * Register the driver conformance suite with the given test runner: every behaviour the
 * client relies on (round trips, ordering, keyset paging, cursor scoping, idempotency and
 * conflicts, validation, copies) plus each optional capability the driver has.
 *
 * Every test gets a fresh driver from `createDriver` and hands it to `disposeDriver` afterwards.
 *
 * @example
 * ```ts
 * import { describe, it, beforeEach, afterEach } from "vitest";
 * import { describeDriverConformance } from "durable-agent/testing";
 * describeDriverConformance({
 *   name: "MyDriver",
 *   createDriver: () => new MyDriver(),
 *   disposeDriver: (driver) => driver.close(),
 *   test: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function describeDriverConformance<D extends SessionPersistDriver>(options: DriverConformanceOptions<D>): void {
  const { test } = options;
  const state = createContext(test, options.limits);
  let driver: D | undefined;

  test.describe(`${options.name} conformance`, () => {
    test.beforeEach(async () => {
      driver = await options.createDriver();
      state.set(driver);
    });
    test.afterEach(async () => {
      const current = driver;
      const closed = state.closedByTest();
      driver = undefined;
      state.set(undefined);
      if (current && !closed) await options.disposeDriver?.(current);
    });

    const groups: [string, (ctx: typeof state.ctx) => void][] = [
      ["round trips", roundTripTests],
      ["returned and stored objects are copies", copyTests],
      ["listEvents order and paging", eventPagingTests],
      ["cursors", cursorTests],
      ["idempotency, conflicts and isolation", conflictTests],
      ["sessions: upsert, order and paging", sessionTests],
      ["validation", validationTests],
      ["capability: insertSession", insertSessionTests],
      ["capability: insertEvents", insertEventsTests],
      ["capability: listLatestEvents", listLatestEventsTests],
      ["capability: deleteSession", deleteSessionTests],
      ["capability: close", closeTests],
      ["capability: event trim (retention, fork)", retentionTests],
      ["capability: agent state", agentStateTests],
      ["capability: leases", leaseCapabilityTests],
    ];
    for (const [name, register] of groups) test.describe(name, () => register(state.ctx));
  });
}
