import { randomBytes } from "node:crypto";
import type { SessionKey, SessionStoreEntry } from "@anthropic-ai/claude-agent-sdk";
import type { Redis } from "ioredis";
import type { StoreUnderTest, Subject } from "../session-store/subject.js";
import { unlinkUnder } from "../support/redis-keys.js";

// The public Redis adapters' shape on raw ioredis, on the bench's server: a list per
// transcript (entries RPUSHed as JSON, no de-duplication), a sorted set per project with each
// session's mtime as score for listings; an append is one MULTI of the RPUSH and the ZADD, a
// load one LRANGE, listSessions one ZRANGE WITHSCORES.

class ReferenceRedisStore implements StoreUnderTest {
  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {}

  async append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const multi = this.client.multi().rpush(this.#list(key), ...entries.map((entry) => JSON.stringify(entry)));
    if (key.subpath === undefined) multi.zadd(`${this.prefix}sessions:${key.projectKey}`, Date.now(), key.sessionId);
    await multi.exec();
  }

  async load(key: SessionKey): Promise<SessionStoreEntry[] | null> {
    const values = await this.client.lrange(this.#list(key), 0, -1);
    return values.length === 0 ? null : values.map((json) => JSON.parse(json) as SessionStoreEntry);
  }

  async listSessions(projectKey: string): Promise<{ sessionId: string; mtime: number }[]> {
    const flat = await this.client.zrange(`${this.prefix}sessions:${projectKey}`, "0", "-1", "WITHSCORES");
    const out: { sessionId: string; mtime: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ sessionId: flat[i] as string, mtime: Number(flat[i + 1]) });
    return out;
  }

  #list(key: SessionKey): string {
    return `${this.prefix}transcript:${key.projectKey}:${key.sessionId}:${key.subpath ?? ""}`;
  }
}

/** The reference shape under a fresh key prefix of the bench's Redis server. */
export const referenceRedis: Subject = {
  name: "reference shape (ioredis, raw)",
  engine: "redis",
  reference: true,
  async open(_postgresUrl, redisUrl) {
    if (redisUrl === undefined) throw new Error("no Redis server for the bench");
    const { Redis } = await import("ioredis");
    const client = new Redis(redisUrl);
    const prefix = `bench-ref:${randomBytes(6).toString("hex")}:`;
    return {
      store: new ReferenceRedisStore(client, prefix),
      async cleanup() {
        await unlinkUnder(client, prefix);
        await client.quit();
      },
    };
  },
};
