import { randomBytes } from "node:crypto";
import { makeEvents } from "../fixtures.js";
import type { BenchScale, RawEngine } from "../types.js";

// ioredis with no driver around it, on the bench's Redis server (AOF, appendfsync everysec):
// the same events as JSON text, RPUSHed onto one list: each RPUSH awaited, and pipelines of
// 500 RPUSHes (one round trip each).

const BATCH = 500;
const count = (scale: BenchScale) => scale.n(20_000);

async function once(url: string, scale: BenchScale, pipelined: boolean): Promise<number> {
  const { Redis } = await import("ioredis");
  const client = new Redis(url);
  client.on("error", () => undefined);
  const key = `bench-raw:${randomBytes(6).toString("hex")}`;
  try {
    const lines = makeEvents("raw-session", count(scale)).map((e) => JSON.stringify(e));
    const started = performance.now();
    if (pipelined) {
      for (let at = 0; at < lines.length; at += BATCH) {
        const pipeline = client.pipeline();
        for (const line of lines.slice(at, at + BATCH)) pipeline.rpush(key, line);
        await pipeline.exec();
      }
    } else {
      for (const line of lines) await client.rpush(key, line);
    }
    return lines.length / ((performance.now() - started) / 1000);
  } finally {
    await client.unlink(key).catch(() => undefined);
    await client.quit();
  }
}

/** Raw Redis ingest rates. */
export const rawRedis: RawEngine = {
  name: "redis",
  describe: (scale) => ({
    single: `ioredis RPUSH, each awaited (${count(scale).toLocaleString("en-US")} events, AOF everysec)`,
    batch: `ioredis pipelined RPUSH, ${BATCH} per round trip (${count(scale).toLocaleString("en-US")} events, AOF everysec)`,
  }),
  unavailable: (env) => (env.redisUrl ? undefined : "no Redis server for the bench"),
  async run(scale, env) {
    const url = env.redisUrl as string;
    return { single: await once(url, scale, false), batch: await once(url, scale, true) };
  },
};
