import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_KEY_PREFIX, RedisSessionPersistDriver, RedisSessionStore } from "../../drivers/redis.js";
import { PersistValidationError } from "../../src/persist/errors.js";
import { conformanceFixtures } from "../../src/testing.js";
import { allEvents } from "../support/client.js";
import { seedSmallAndLarge, tailTimes } from "../support/tail-cost.js";
import { adminClient, keysUnder, prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";

const { makeEvents, minimalRecord } = conformanceFixtures;
const freshPrefix = prefixesRemovedAfterAll();
const admin = adminClient();
afterAll(() => admin.quit());

/** What Redis Cluster hashes a key by: the first non-empty `{...}` section, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close);
}

/** A client whose every command name is recorded (in upper case). */
function spiedClient(): { client: Redis; commands: string[] } {
  const client = new Redis(redisUrl());
  client.on("error", () => undefined);
  const commands: string[] = [];
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Parameters<Redis["sendCommand"]>[0], stream?: Parameters<Redis["sendCommand"]>[1]) => {
    commands.push(command.name.toUpperCase());
    return send(command, stream);
  }) as Redis["sendCommand"];
  return { client, commands };
}

async function refusal(run: () => unknown): Promise<PersistValidationError> {
  const error = await Promise.resolve().then(run).catch((e: unknown) => e);
  assert.ok(error instanceof PersistValidationError, `expected PersistValidationError, got ${String(error)}`);
  return error;
}

describe("RedisSessionPersistDriver options", () => {
  it("refuses a key prefix with braces, spaces or nothing in it, naming the option", async () => {
    for (const keyPrefix of ["a{b", "a}b", "a b", "", "é", "x".repeat(65)]) {
      const error = await refusal(() => new RedisSessionPersistDriver({ url: redisUrl(), keyPrefix }));
      expect(error.issues.map((i) => i.path)).toEqual(["options.keyPrefix"]);
    }
    expect(DEFAULT_KEY_PREFIX).toBe("durable-agent:");
  });

  it("refuses url and client together, a URL of another scheme, and a client that is not one", async () => {
    const client = adminClient();
    try {
      await refusal(() => new RedisSessionPersistDriver({ url: redisUrl(), client }));
      await refusal(() => new RedisSessionPersistDriver({ url: "http://127.0.0.1:6379" }));
      await refusal(() => new RedisSessionPersistDriver({ client: {} as Redis }));
      // A Cluster client (ioredis marks it isCluster) is refused up front rather than failing with CROSSSLOT later.
      const cluster = Object.assign(Object.create(client) as Redis, { isCluster: true });
      const error = await refusal(() => new RedisSessionStore({ client: cluster }));
      expect(error.message).toContain("not a Redis Cluster");
    } finally {
      await client.quit();
    }
  });

  it("leaves the caller's client open on close()", async () => {
    const client = adminClient();
    const driver = new RedisSessionPersistDriver({ client, keyPrefix: freshPrefix("own") });
    await driver.updateSession(minimalRecord("s"));
    await driver.close();
    expect(await client.ping()).toBe("PONG");
    await client.quit();
  });
});

describe("RedisSessionPersistDriver keys", () => {
  it("keeps every key of a session in one hash slot, the shared keys in another, all under the prefix", async () => {
    const keyPrefix = freshPrefix("slots");
    const driver = new RedisSessionPersistDriver({ url: redisUrl(), keyPrefix });
    const ids = ["plain", "a}b", "{x}", "%7D", "a/b:c", "a/b%3Ac", "🙂"];
    try {
      for (const id of ids) {
        await driver.updateSession(minimalRecord(id));
        await driver.insertEvents(id, makeEvents(id, 0, 3));
      }
      const keys = await keysUnder(admin, keyPrefix);
      const tags = new Map<string, string[]>();
      for (const key of keys) tags.set(hashTag(key), [...(tags.get(hashTag(key)) ?? []), key]);
      // One tag for the shared keys, one per session (its events).
      expect(tags.size).toBe(ids.length + 1);
      expect(tags.get("g")?.sort()).toEqual([`${keyPrefix}{g}:event-ids`, `${keyPrefix}{g}:order`, `${keyPrefix}{g}:records`]);
      for (const [tag, sessionKeys] of tags) if (tag !== "g") expect(sessionKeys).toEqual([`${keyPrefix}{${tag}}:events`]);
      // Ids that escape into similar tags stay apart.
      for (const id of ids) expect((await allEvents(driver, id)).map((e) => e.sessionId)).toEqual([id, id, id]);
    } finally {
      await driver.close();
    }
  });

  it("deletes everything of a session: nothing is left under the prefix once every session is gone", async () => {
    const keyPrefix = freshPrefix("del");
    const driver = new RedisSessionPersistDriver({ url: redisUrl(), keyPrefix });
    try {
      for (const id of ["a", "b"]) {
        await driver.updateSession(minimalRecord(id));
        await driver.insertEvents(id, makeEvents(id, 0, 2500));
      }
      // Ids the delete script must read back from the events' JSON: quotes, escapes, its own marker.
      const tricky = ['q"uo\\te', ',"eventIndex":1', "🙂\u0000"];
      await driver.insertEvents("a", tricky.map((id, i) => ({ ...(makeEvents("a", 2500 + i, 2501 + i)[0] as ReturnType<typeof makeEvents>[number]), id })));
      await driver.deleteSession("a");
      expect((await keysUnder(admin, keyPrefix)).some((key) => key.includes("{s:a}"))).toBe(false);
      expect(await admin.hlen(`${keyPrefix}{g}:event-ids`)).toBe(2500);
      await driver.deleteSession("b");
      expect(await keysUnder(admin, keyPrefix)).toEqual([]);
      // The freed event ids can be stored again, in another session.
      await driver.insertEvents("c", makeEvents("a", 0, 3).map((e) => ({ ...e, sessionId: "c" })));
      expect(await driver.listLatestEvents("c", 10)).toHaveLength(3);
    } finally {
      await driver.close();
    }
  });
});

describe("RedisSessionPersistDriver commands", () => {
  it("reads a page, a tail and a listing page with one command each, never SCAN or KEYS", async () => {
    const { client, commands } = spiedClient();
    const driver = new RedisSessionPersistDriver({ client, keyPrefix: freshPrefix("cmd") });
    try {
      for (let i = 0; i < 30; i++) await driver.updateSession({ ...minimalRecord(`s${i}`), createdAt: 1000 + (i % 7) });
      await driver.insertEvents("s0", makeEvents("s0", 0, 300));
      await driver.listSessions({ limit: 1 }); // the server caches the script (EVAL after NOSCRIPT the first time)
      commands.length = 0;
      const page = await driver.listEvents({ sessionId: "s0", limit: 50 });
      await driver.listEvents({ sessionId: "s0", cursor: page.nextCursor, limit: 50 });
      await driver.listLatestEvents("s0", 20);
      const sessions = await driver.listSessions({ limit: 10 });
      await driver.listSessions({ cursor: sessions.nextCursor, limit: 10 });
      expect([...commands]).toEqual(["ZRANGEBYSCORE", "ZRANGEBYSCORE", "ZRANGE", "EVALSHA", "EVALSHA"]);
    } finally {
      await driver.close();
      await client.quit();
    }
  });

  it("reloads its scripts when the server lost them (SCRIPT FLUSH, a restart)", async () => {
    const driver = new RedisSessionPersistDriver({ url: redisUrl(), keyPrefix: freshPrefix("flush") });
    try {
      await driver.insertEvents("s", makeEvents("s", 0, 2));
      await admin.script("FLUSH");
      await driver.insertEvents("s", makeEvents("s", 2, 4));
      await driver.updateSession(minimalRecord("s"));
      expect((await allEvents(driver, "s")).map((e) => e.eventIndex)).toEqual([0, 1, 2, 3]);
    } finally {
      await driver.close();
    }
  });

  it("reads the tail of a 100,000-event session at the cost of a 1,000-event one", async () => {
    const driver = new RedisSessionPersistDriver({ url: redisUrl(), keyPrefix: freshPrefix("tail") });
    try {
      await seedSmallAndLarge(driver);
      const { small, large } = await tailTimes(driver);
      // Generous bound for a busy machine; a read that walked the session would be ~100x.
      expect(large).toBeLessThan(small * 3 + 2);
    } finally {
      await driver.close();
    }
  }, 60_000);
});
