import { BackedSessionStore } from "../../src/session-store/store.js";
import type { FoldSessionSummary } from "../../src/session-store/types.js";
import type { RedisOptions } from "./options.js";
import { resolveRedisOptions } from "./options.js";
import { RedisSessionStoreBackend } from "./store-backend.js";

/** Options of `RedisSessionStore`: the connection and key prefix, as for the driver, and the summary fold. */
export interface RedisSessionStoreOptions extends RedisOptions {
  /**
   * The fold that maintains session summaries inside `append`. Default: `foldSessionSummary`
   * of `@anthropic-ai/claude-agent-sdk`, imported on the first append to a main transcript.
   */
  foldSessionSummary?: FoldSessionSummary;
}

/**
 * The Claude Agent SDK's `SessionStore` on Redis, shared by any number of app servers: pass
 * it as `sessionStore` to `query()`, `listSessions()`, `getSessionMessages()`. Entries are
 * stored once per `uuid` per transcript; an append is one atomic script that also writes the
 * session's summary, folded from exactly the entries it stores (a compare-and-set across
 * processes); a session's keys share one hash slot; listings read one hash per project. See
 * docs/drivers/redis.md.
 *
 * ```ts
 * const sessionStore = new RedisSessionStore({ url: process.env.REDIS_URL });
 * ```
 */
export class RedisSessionStore extends BackedSessionStore {
  /**
   * @throws PersistValidationError on a bad key prefix, URL or client, or when both `url` and
   * `client` are given. Nothing is awaited: an owned client connects in the background.
   */
  constructor(options: RedisSessionStoreOptions = {}) {
    const resolved = resolveRedisOptions(options, "Redis session store options");
    super("RedisSessionStore", new RedisSessionStoreBackend(resolved), options.foldSessionSummary);
  }
}
