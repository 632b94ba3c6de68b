import type { Redis } from "ioredis";

/** Remove every key under `prefix` (bench housekeeping: a SCAN, never used by the drivers or stores). */
export async function unlinkUnder(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
}
