import { PersistValidationError } from "../../src/persist/errors.js";
import { isRedisClient, type ConnectionSource, type RedisClient } from "./connection.js";
import { checkKeyPrefix, DEFAULT_KEY_PREFIX } from "./names.js";

/** Options of the Redis driver and of the Redis session store. */
export interface RedisOptions {
  /**
   * A `redis://` or `rediss://` URL; the backend opens its own client and closes it on
   * `close()`. Give this or `client`; with neither, ioredis connects to 127.0.0.1:6379.
   */
  url?: string;
  /** An existing ioredis client to run on. The caller owns it: `close()` leaves it open. */
  client?: RedisClient;
  /**
   * Prefix of every key (default `"durable-agent:"`), so several stores, or other
   * applications, can share one database: 1-64 printable ASCII characters without braces or
   * spaces. A client's own ioredis `keyPrefix` applies on top of it.
   */
  keyPrefix?: string;
}

/** The options, checked, with their defaults applied. */
export interface ResolvedRedisOptions {
  /** The key prefix. */
  prefix: string;
  /** What to connect with. */
  source: ConnectionSource;
}

/**
 * Check the options and apply the defaults; nothing is connected.
 * @param what names the options in errors ("Redis driver options").
 * @throws PersistValidationError on a bad prefix, URL or client, or when both `url` and `client` are given.
 */
export function resolveRedisOptions(options: RedisOptions | undefined, what: string): ResolvedRedisOptions {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new PersistValidationError(what, [{ path: "options", message: "must be an object" }]);
  }
  const { url, client, keyPrefix } = options ?? {};
  const prefix = checkKeyPrefix(keyPrefix ?? DEFAULT_KEY_PREFIX, what);
  if (url !== undefined && client !== undefined) {
    throw new PersistValidationError(what, [{ path: "options", message: "give either url or client, not both" }]);
  }
  if (client !== undefined) {
    if (!isRedisClient(client)) throw new PersistValidationError(what, [{ path: "options.client", message: "must be an ioredis client" }]);
    if ((client as { isCluster?: unknown }).isCluster === true) {
      throw new PersistValidationError(what, [
        {
          path: "options.client",
          message:
            "must be a client of one server (a primary, with Sentinel if you like), not a Redis Cluster: a write is one script " +
            "over a session's slot and the shared {g} slot, which a cluster refuses (see docs/drivers/redis.md)",
        },
      ]);
    }
    return { prefix, source: { client } };
  }
  if (url !== undefined && (typeof url !== "string" || !/^rediss?:\/\//.test(url))) {
    throw new PersistValidationError(what, [
      { path: "options.url", message: `must be a redis:// or rediss:// URL (got ${JSON.stringify(url)})` },
    ]);
  }
  return { prefix, source: { url } };
}
