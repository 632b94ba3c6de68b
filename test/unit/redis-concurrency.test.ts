import { describe, it } from "vitest";
import { RedisSessionPersistDriver } from "../../drivers/redis.js";
import { assertAppended, runAppendWorkers } from "../support/append-workers.js";
import { prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";

// Four processes at once against one Redis: what a fleet of app servers does. Every write is
// one Lua script, so a lost race is an EventConflictError and never a duplicate or a gap.

const WORKERS = 4;
const freshPrefix = prefixesRemovedAfterAll();

describe("RedisSessionPersistDriver across processes", () => {
  it("keeps eventIndex gapless and unique when 4 processes append to one session and to their own", async () => {
    const url = redisUrl();
    const keyPrefix = freshPrefix("conc");
    const count = 150;
    const results = await runAppendWorkers(
      Array.from({ length: WORKERS }, (_, worker) => ({
        driver: { kind: "redis" as const, url, keyPrefix },
        worker,
        count,
        sharedSession: "shared",
        ownSession: `own-${worker}`,
      })),
    );
    const driver = new RedisSessionPersistDriver({ url, keyPrefix });
    try {
      await assertAppended(driver, results, WORKERS, count);
    } finally {
      await driver.close();
    }
  }, 120_000);
});
