import { createHash } from "node:crypto";
import type { RedisClient } from "./connection.js";

// Running Lua scripts: EVALSHA first (the server caches scripts by SHA-1), EVAL when the
// server answers NOSCRIPT (after a restart or SCRIPT FLUSH). A script runs atomically: no
// other command of any client runs between its first and last command, which is what
// makes every write of the Redis backends safe with several writers (see docs/drivers/redis.md).

/** One Lua script, with its SHA-1 computed once. */
export class Script {
  /** The script's SHA-1, as EVALSHA takes it. */
  readonly sha: string;

  /** @param source the Lua source. */
  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  /** Run the script with `keys` and `args` on `client`. */
  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error | undefined)?.message).startsWith("NOSCRIPT")) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
