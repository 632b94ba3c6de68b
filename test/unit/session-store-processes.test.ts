import Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileSessionStore } from "../../drivers/file.js";
import { PostgresSessionStore } from "../../drivers/postgres.js";
import { RedisSessionStore } from "../../drivers/redis.js";
import { SQLiteSessionStore } from "../../drivers/sqlite.js";
import { postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";
import { prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";
import { appendThenKill, expectEveryBatchOnceInOrder, expectSummaryIsFold, expectWholeBatches, raceWriters } from "../support/session-store-processes.js";
import type { SessionStoreWorkerArgs } from "../support/session-store-batches.js";

// Session stores shared by processes: four processes appending to one session at once (every
// entry once, each writer's order, the summary the fold of the result), and a writer
// SIGKILLed mid-stream (whole batches only, every acknowledged one, the summary consistent).

const dir = mkdtempSync(join(tmpdir(), "durable-agent-session-store-processes-"));
const freshSchema = schemasDroppedAfterAll();
const freshPrefix = prefixesRemovedAfterAll();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Spec = SessionStoreWorkerArgs["store"];
type AnyStore = SQLiteSessionStore | PostgresSessionStore | RedisSessionStore | FileSessionStore;
const backends: [string, () => Spec, (spec: Spec) => AnyStore][] = [
  [
    "SQLiteSessionStore (one file)",
    () => ({ kind: "sqlite", filename: join(dir, `${randomUUID()}.db`) }),
    (spec) => new SQLiteSessionStore({ filename: (spec as { filename: string }).filename }),
  ],
  [
    "PostgresSessionStore (one schema)",
    () => ({ kind: "postgres", url: postgresUrl(), schema: freshSchema("proc") }),
    (spec) => new PostgresSessionStore({ connectionString: postgresUrl(), schema: (spec as { schema: string }).schema }),
  ],
  [
    "RedisSessionStore (one key prefix)",
    () => ({ kind: "redis", url: redisUrl(), keyPrefix: freshPrefix("proc") }),
    (spec) => new RedisSessionStore({ url: redisUrl(), keyPrefix: (spec as { keyPrefix: string }).keyPrefix }),
  ],
  [
    "FileSessionStore (one directory)",
    () => ({ kind: "file", directory: join(dir, randomUUID()) }),
    (spec) => new FileSessionStore({ directory: (spec as { directory: string }).directory }),
  ],
];

describe.each(backends)("%s across processes", (_name, makeSpec, open) => {
  it("four processes appending to one session at once: nothing lost or doubled, each one's order kept, summary consistent", async () => {
    const spec = makeSpec();
    const key = { projectKey: "-srv-app", sessionId: randomUUID() };
    // The store exists (created and migrated) before the race: what races here is appends.
    const setup = open(spec);
    await setup.listSessions?.(key.projectKey);
    await setup.close();
    const results = await raceWriters(spec, key, 4, 60);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const store = open(spec);
    try {
      expectEveryBatchOnceInOrder((await store.load(key)) ?? [], 4, 60, true);
      await expectSummaryIsFold(store, key);
      const sub = { ...key, subpath: "subagents/agent-1" };
      expect((await raceWriters(spec, sub, 3, 30)).filter((r) => !r.ok)).toEqual([]);
      expectEveryBatchOnceInOrder((await store.load(sub)) ?? [], 3, 30);
    } finally {
      await store.close();
    }
  }, 120_000);

  for (const acks of [5, 120]) {
    it(`a writer SIGKILLed after ${acks} acknowledged appends leaves whole batches, every acknowledged one, and a consistent summary`, async () => {
      const spec = makeSpec();
      const key = { projectKey: "-srv-app", sessionId: randomUUID() };
      const acked = await appendThenKill(spec, key, acks);
      if (spec.kind === "sqlite") {
        const db = new Database(spec.filename);
        expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
        db.close();
      }
      const store = open(spec);
      try {
        const batches = expectWholeBatches((await store.load(key)) ?? [], acked);
        await expectSummaryIsFold(store, key);
        // The session goes on after the crash: the next batch is appended after the last whole one.
        await store.append(key, [{ type: "user", uuid: `after-${batches}`, message: { role: "user", content: "after the crash" } }]);
        expect(((await store.load(key)) ?? []).at(-1)?.uuid).toBe(`after-${batches}`);
        await expectSummaryIsFold(store, key);
      } finally {
        await store.close();
      }
    }, 60_000);
  }
});
