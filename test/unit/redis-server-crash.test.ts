import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { RedisSessionPersistDriver } from "../../drivers/redis.js";
import { startRedis } from "../../harness/index.js";
import { assertCrashSurvived, CRASH_SESSION_ID, crashEvent, crashPlan } from "../support/crash-plan.js";

// The Redis server itself killed (SIGKILL) mid-stream and restarted on its data: with the
// append-only file on, every write it acknowledged is back, and only whole scripts are (each
// is one MULTI/EXEC block in the AOF). With appendfsync everysec too: Redis writes the AOF
// before it replies, so only an OS crash can lose the last second (docs/drivers/redis.md).

describe("RedisSessionPersistDriver: the server killed and restarted", () => {
  for (const appendfsync of ["always", "everysec"] as const) {
    it(`keeps every acknowledged event after a SIGKILL of redis-server (AOF, appendfsync ${appendfsync})`, async () => {
      const first = await startRedis({ appendfsync });
      let second: Awaited<ReturnType<typeof startRedis>> | undefined;
      try {
        // A client that gives up at once when the server is gone (no reconnect, no offline queue).
        const client = new Redis(first.url, { retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
        client.on("error", () => undefined);
        await client.connect();
        const writer = new RedisSessionPersistDriver({ client });
        const acknowledged: number[] = [];
        const acks = 400;
        const writing = (async () => {
          for (const group of crashPlan()) {
            if (group.length === 1) await writer.insertEvent(CRASH_SESSION_ID, crashEvent(group[0] as number));
            else await writer.insertEvents(CRASH_SESSION_ID, group.map(crashEvent));
            acknowledged.push(...group);
            if (acknowledged.length >= acks && acknowledged.length - group.length < acks) void first.kill();
          }
        })().catch(() => undefined); // the writes in flight when the server died fail
        await writing;
        await writer.close();
        client.disconnect();
        expect(acknowledged.length).toBeGreaterThanOrEqual(acks);

        second = await startRedis({ appendfsync, dir: first.dir });
        const reader = new RedisSessionPersistDriver({ url: second.url });
        try {
          await assertCrashSurvived(reader, acknowledged, acks);
        } finally {
          await reader.close();
        }
      } finally {
        await second?.stop();
        await first.stop();
      }
    }, 60_000);
  }
});
