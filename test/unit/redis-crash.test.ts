import { describe, it } from "vitest";
import { RedisSessionPersistDriver } from "../../drivers/redis.js";
import { assertCrashSurvived, CRASH_SESSION_ID, crashEvent, writeThenKill } from "../support/crash-plan.js";
import { prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";

// A writer process killed mid-stream (SIGKILL) leaves on the server every event it had
// acknowledged, and only whole batches: each write is one script, which the server runs
// whole or not at all, whatever happens to the client.

const freshPrefix = prefixesRemovedAfterAll();

describe("RedisSessionPersistDriver: a writer killed mid-stream", () => {
  for (const acks of [300, 2000]) {
    it(`keeps every acknowledged event intact after SIGKILL (after ${acks} acks), and goes on writing`, async () => {
      const target = { url: redisUrl(), keyPrefix: freshPrefix("crash") };
      const acknowledged = await writeThenKill("redis", JSON.stringify(target), acks);
      const driver = new RedisSessionPersistDriver(target);
      try {
        const stored = await assertCrashSurvived(driver, acknowledged, acks);
        await driver.insertEvent(CRASH_SESSION_ID, crashEvent(stored.length));
      } finally {
        await driver.close();
      }
    }, 60_000);
  }
});
