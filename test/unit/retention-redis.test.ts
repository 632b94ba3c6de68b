import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { RedisSessionPersistDriver } from "../../drivers/redis.js";
import { TRIM_EVENTS } from "../../drivers/redis/retention.js";
import { recordedTurns } from "../../src/conformance/turns.js";
import { applyRetention } from "../../src/lifecycle/retention.js";
import { prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";

const freshPrefix = prefixesRemovedAfterAll();
const client = new Redis(redisUrl());
afterAll(() => client.quit());

describe("Redis retention path", () => {
  it("a trim is one script per session (ZREMRANGEBYSCORE, ids freed in the registry), never a command per event", async () => {
    const keyPrefix = freshPrefix("ret");
    const driver = new RedisSessionPersistDriver({ client, keyPrefix });
    for (let s = 0; s < 5; s++) {
      const id = `s${s}`;
      await driver.updateSession({ id, agent: "mock", agentSessionId: "a", lastConnectionId: "c", createdAt: 1 + s });
      await driver.insertEvents(id, recordedTurns({ sessionId: id, turns: 50 }));
    }
    // Every command the driver sends through the client, seen at sendCommand.
    const sent: string[] = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string; args: unknown[] }) => {
      sent.push(command.name === "evalsha" ? `evalsha:${String(command.args[0])}` : command.name);
      return send(command as never);
    }) as typeof client.sendCommand;
    try {
      const report = await applyRetention(driver, { maxEventsPerSession: 41, replay: { maxEvents: 2 } }, { now: 2 });
      expect(report.trimmedSessions).toHaveLength(5);
    } finally {
      client.sendCommand = send;
    }
    expect(sent.filter((c) => c === `evalsha:${TRIM_EVENTS.sha}`)).toHaveLength(5);
    expect(sent.filter((c) => /^(zrem|zremrangebyscore|hdel|del|unlink|zadd|hset)$/i.test(c))).toEqual([]);
    // The registry holds exactly the kept events' ids.
    const registry = await client.hlen(`${keyPrefix}{g}:event-ids`);
    expect(registry).toBe(5 * 41);
    for (let s = 0; s < 5; s++) expect((await driver.listEvents({ sessionId: `s${s}`, limit: 1 })).items[0]!.eventIndex).toBe(159);
  });
});
