import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { DriverClosedError } from "../../src/persist/errors.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";
import { runWorkers } from "../support/postgres-workers.js";

// Live tail with LISTEN/NOTIFY: one process follows a session another process is writing.

const freshSchema = schemasDroppedAfterAll();

function event(sessionId: string, eventIndex: number): SessionEvent {
  return {
    id: `${sessionId}-pre-${eventIndex}`,
    eventIndex,
    sessionId,
    createdAt: 1_700_000_000_000,
    connectionId: "here",
    sender: "client",
    payload: { jsonrpc: "2.0", method: "session/prompt", params: { n: eventIndex } },
  };
}

/** Resolves once `predicate` holds, polling; rejects after `ms`. */
async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("PostgresSessionPersistDriver.followSession", () => {
  it("delivers, in order and once each, the stored events and then those another process commits", async () => {
    const schema = freshSchema("live");
    const url = postgresUrl();
    const driver = new PostgresSessionPersistDriver({ connectionString: url, schema });
    try {
      await driver.insertEvents("live", [event("live", 0), event("live", 1)]);
      const seen: SessionEvent[] = [];
      const errors: unknown[] = [];
      const follower = await driver.followSession("live", (events) => void seen.push(...events), {
        onError: (error) => errors.push(error),
      });
      const count = 30;
      const [result] = await runWorkers([
        { mode: "append", url, schema, notify: true, worker: 7, count, sharedSession: "live", ownSession: "elsewhere" },
      ]);
      assert.equal(result?.ok, true, result?.error);
      // The worker has committed everything; its last signal arrives shortly after.
      await until(() => seen.length >= count + 2, 10_000, "the followed events");
      assert.deepEqual(
        seen.map((e) => e.eventIndex),
        Array.from({ length: count + 2 }, (_, i) => i),
      );
      assert.deepEqual(
        seen.slice(2).map((e) => e.id),
        Array.from({ length: count }, (_, i) => `w7-shared-${i}`),
      );
      assert.ok(seen.every((e) => e.sessionId === "live"), "events of another session were delivered");
      assert.deepEqual(errors, []);
      await follower.close();
    } finally {
      await driver.close();
    }
  }, 60_000);

  it("starts after a given index, and is closed together with the driver", async () => {
    const schema = freshSchema("live");
    const driver = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema, notify: true });
    await driver.insertEvents("s", [event("s", 0), event("s", 1), event("s", 2)]);
    const seen: number[] = [];
    await driver.followSession("s", (events) => void seen.push(...events.map((e) => e.eventIndex)), { afterIndex: 1 });
    await driver.insertEvent("s", event("s", 3));
    await until(() => seen.length >= 2, 10_000, "the followed events");
    assert.deepEqual(seen, [2, 3]);
    // close() ends the driver's own pool, which requires the follower's connection back.
    await driver.close();
    await assert.rejects(driver.followSession("s", () => undefined), DriverClosedError);
  });
});
