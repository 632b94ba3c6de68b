import { afterEach, beforeEach, describe, it } from "vitest";
import { RedisSessionPersistDriver } from "../../drivers/redis.js";
import { describeDriverConformance } from "../../src/testing.js";
import { prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";

// Every test gets a driver under a key prefix of its own, so tests are isolated; the keys
// are removed when the file is done.
const freshPrefix = prefixesRemovedAfterAll();

describeDriverConformance({
  name: "RedisSessionPersistDriver",
  createDriver: () => new RedisSessionPersistDriver({ url: redisUrl(), keyPrefix: freshPrefix("conf") }),
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
});
