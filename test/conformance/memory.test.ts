import { afterEach, beforeEach, describe, it } from "vitest";
import { InMemorySessionPersistDriver } from "../../src/index.js";
import { describeDriverConformance } from "../../src/testing.js";

describeDriverConformance({
  name: "InMemorySessionPersistDriver",
  createDriver: () => new InMemorySessionPersistDriver(),
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
  limits: { maxEventsPerSession: 500, maxSessions: 1024 },
});

describeDriverConformance({
  name: "InMemorySessionPersistDriver (large caps)",
  createDriver: () => new InMemorySessionPersistDriver({ maxEventsPerSession: 5000, maxSessions: 5000 }),
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
  limits: { maxEventsPerSession: 5000, maxSessions: 5000 },
});
