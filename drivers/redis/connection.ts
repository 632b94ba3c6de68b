import { Redis } from "ioredis";

// The client the Redis backends run on: one the caller hands in, or one opened from a URL.

/** The ioredis client type the backends accept. */
export type RedisClient = Redis;

/** The client, and whether the backend opened it (and so closes it). */
export interface Connection {
  /** The client. */
  client: RedisClient;
  /** True when the backend opened it from a URL; false for the caller's client. */
  owned: boolean;
}

/** What to connect with: the caller's client, or a URL (ioredis' defaults, 127.0.0.1:6379, when absent). */
export type ConnectionSource = { client: RedisClient } | { url: string | undefined };

/** The caller's client, or a new one (which connects in the background; commands queue meanwhile). */
export function openClient(source: ConnectionSource): Connection {
  if ("client" in source) return { client: source.client, owned: false };
  const client = source.url === undefined ? new Redis() : new Redis(source.url);
  // A dropped connection emits "error" (ioredis reconnects by itself); without a listener it
  // would be printed as unhandled. Commands that fail reject on their own.
  client.on("error", () => undefined);
  return { client, owned: true };
}

/** Close a client the backend opened: QUIT (waits for pending replies), or a hard disconnect when that fails. */
export async function closeClient(connection: Connection): Promise<void> {
  if (!connection.owned) return;
  try {
    await connection.client.quit();
  } catch {
    connection.client.disconnect();
  }
}

/** Duck-typed rather than instanceof, so a client from another copy of ioredis works. */
export function isRedisClient(value: unknown): value is RedisClient {
  const client = value as Partial<Record<"evalsha" | "eval" | "zrangebyscore" | "quit", unknown>> | null;
  return (
    typeof client === "object" &&
    client !== null &&
    typeof client.evalsha === "function" &&
    typeof client.eval === "function" &&
    typeof client.zrangebyscore === "function" &&
    typeof client.quit === "function"
  );
}
