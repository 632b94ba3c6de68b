/**
 * `durable-agent/redis`: session persistence (and the Claude Agent SDK's `SessionStore`) on
 * Redis, through ioredis (an optional peer dependency that only this entry point imports).
 * @packageDocumentation
 */
import { LeasingPersistDriver } from "../src/persist/leasing-persist-driver.js";
import { RedisBackend } from "./redis/backend.js";
import { resolveRedisOptions, type RedisOptions } from "./redis/options.js";

export { DEFAULT_KEY_PREFIX } from "./redis/names.js";
export { RedisSessionStore, type RedisSessionStoreOptions } from "./redis/session-store.js";
export type { RedisOptions } from "./redis/options.js";
export type { RedisClient } from "./redis/connection.js";

const DRIVER_NAME = "RedisSessionPersistDriver";

/** Options of {@link RedisSessionPersistDriver}. */
export type RedisSessionPersistDriverOptions = RedisOptions;

/**
 * Session persistence on Redis, shared by any number of app servers. Every write is one Lua
 * script, so `eventIndex` stays unique per session and a re-sent event is stored once,
 * whatever the number of writers; events are a sorted set per session (pages and tail reads
 * cost a page, not the session); sessions are listed through a lex-ordered index (no SCAN);
 * a delete removes everything of a session in one step. See docs/drivers/redis.md.
 *
 * ```ts
 * const persist = new RedisSessionPersistDriver({ url: process.env.REDIS_URL });
 * ```
 */
export class RedisSessionPersistDriver extends LeasingPersistDriver {
  /**
   * @throws PersistValidationError on a bad key prefix, URL or client, or when both `url` and
   * `client` are given. Nothing is awaited: an owned client connects in the background.
   */
  constructor(options: RedisSessionPersistDriverOptions = {}) {
    super(DRIVER_NAME, new RedisBackend(resolveRedisOptions(options, "Redis driver options")));
  }
}
