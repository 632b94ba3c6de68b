import { afterEach, beforeEach, describe, it } from "vitest";
import { RedisSessionStore } from "../../drivers/redis.js";
import { describeSessionStoreConformance } from "../../src/testing.js";
import { prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";

// Every test gets a store under a key prefix of its own; its peer (the several-writers tests)
// is a second store, on a second connection, under the same prefix: what another process is.
const freshPrefix = prefixesRemovedAfterAll();
const prefixes = new WeakMap<RedisSessionStore, string>();

describeSessionStoreConformance({
  name: "RedisSessionStore",
  createStore: () => {
    const keyPrefix = freshPrefix("store");
    const store = new RedisSessionStore({ url: redisUrl(), keyPrefix });
    prefixes.set(store, keyPrefix);
    return store;
  },
  openPeer: (store) => new RedisSessionStore({ url: redisUrl(), keyPrefix: prefixes.get(store) }),
  disposeStore: (store) => store.close(),
  test: { describe, it, beforeEach, afterEach, fails: it.fails },
});
