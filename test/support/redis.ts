import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, inject } from "vitest";

// Helpers for tests that need the run's Redis server (started in global-setup.ts).

/** URL of the test server; throws (failing the test, never skipping it) when there is none. */
export function redisUrl(): string {
  const url = inject("redisUrl");
  if (!url) throw new Error(`Redis test server is not available: ${inject("redisError")}`);
  return url;
}

/** A key prefix no other test uses. */
export function uniquePrefix(label = "t"): string {
  return `test:${label}:${randomBytes(6).toString("hex")}:`;
}

/** A client for test bookkeeping (inspecting and removing keys); the caller quits it. */
export function adminClient(): Redis {
  const client = new Redis(redisUrl());
  client.on("error", () => undefined);
  return client;
}

/** Every key under `prefix` (a SCAN: fine for tests, never used by the drivers). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await client.scan(cursor, "MATCH", `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}

/**
 * A maker of fresh key prefixes for one test file; every key under them is removed when the
 * file's tests are done. Call it at the top level of the file.
 */
export function prefixesRemovedAfterAll(): (label?: string) => string {
  const made: string[] = [];
  afterAll(async () => {
    const admin = adminClient();
    try {
      for (const prefix of made) {
        const keys = await keysUnder(admin, prefix);
        for (let i = 0; i < keys.length; i += 500) await admin.unlink(...keys.slice(i, i + 500));
      }
    } finally {
      await admin.quit();
    }
  });
  return (label) => {
    const prefix = uniquePrefix(label);
    made.push(prefix);
    return prefix;
  };
}
