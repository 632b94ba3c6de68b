import { describe, expect, it } from "vitest";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { checkFollowOptions, followStoredSession } from "../../src/client/follower.js";
import { InMemorySessionPersistDriver, InvalidOptionsError, type SessionEvent, type SessionPersistDriver } from "../../src/index.js";
import { MinimalDriver } from "../support/minimal-driver.js";
import { postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";

// The read-only follower on each kind of driver: a kit driver (keyset reads after the last
// delivered event), a driver with only the base methods (the tail, widened as needed), and
// PostgreSQL's own live feed (LISTEN/NOTIFY) with the poll as a safety net.

const freshSchema = schemasDroppedAfterAll();

function event(sessionId: string, eventIndex: number): SessionEvent {
  return {
    id: `${sessionId}-${eventIndex}`,
    eventIndex,
    sessionId,
    createdAt: 1_700_000_000_000 + eventIndex,
    connectionId: "writer",
    sender: "agent",
    payload: { jsonrpc: "2.0", method: "session/update", params: { n: eventIndex } },
  };
}

async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function write(driver: SessionPersistDriver, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await driver.insertEvent("s", event("s", i));
}

describe("followSession's follower", () => {
  for (const [name, make] of [
    ["a kit driver (memory)", () => new InMemorySessionPersistDriver({ maxEventsPerSession: 10_000 })],
    ["a driver with only the base methods", () => new MinimalDriver()],
  ] as const) {
    it(`${name}: what is stored after afterIndex, then each new event once, in order; nothing after close`, async () => {
      const driver: SessionPersistDriver = make();
      await write(driver, 0, 250);
      const seen: number[] = [];
      const follower = await followStoredSession(driver, "s", { onEvent: (e) => void seen.push(e.eventIndex), afterIndex: 9, pollMs: 20 });
      expect(seen).toEqual(Array.from({ length: 240 }, (_, i) => i + 10));
      await write(driver, 250, 400); // more than one tail read behind: the follower reaches back
      await until(() => seen.length === 390, 5000, "the new events");
      expect(seen).toEqual(Array.from({ length: 390 }, (_, i) => i + 10));
      expect(follower.lastIndex).toBe(399);
      await follower.close();
      await write(driver, 400, 405);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen).toHaveLength(390);
    });
  }

  it("a slow listener is never called concurrently with itself, and a throwing one does not stop the follower", async () => {
    const driver = new InMemorySessionPersistDriver();
    const errors: unknown[] = [];
    let running = 0;
    let overlap = false;
    const seen: number[] = [];
    const follower = await followStoredSession(driver, "s", {
      pollMs: 10,
      onError: (error) => errors.push(error),
      onEvent: async (e) => {
        overlap ||= running > 0;
        running++;
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
        seen.push(e.eventIndex);
        if (e.eventIndex === 3) throw new Error("listener failed");
      },
    });
    await write(driver, 0, 20);
    await follower.catchUp();
    await until(() => seen.length === 20, 5000, "all events");
    expect(overlap).toBe(false);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(errors).toHaveLength(1);
    await follower.close();
  });

  it("PostgreSQL: events arrive by the driver's live feed (NOTIFY), well before the safety-net poll", async () => {
    const schema = freshSchema("follow");
    const reader = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    const writer = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema, notify: true });
    try {
      await writer.insertEvents("s", [event("s", 0)]);
      const seen: number[] = [];
      // A poll of 10 s (40 s with the live feed): anything seen sooner came by NOTIFY.
      const follower = await followStoredSession(reader, "s", { onEvent: (e) => void seen.push(e.eventIndex), pollMs: 10_000 });
      await until(() => seen.length === 1, 5000, "the stored event");
      const started = Date.now();
      await writer.insertEvents("s", [event("s", 1), event("s", 2)]);
      await until(() => seen.length === 3, 5000, "the live events");
      expect(Date.now() - started).toBeLessThan(5000);
      expect(seen).toEqual([0, 1, 2]);
      await follower.close();
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it("options are checked by name", () => {
    expect(() => checkFollowOptions({} as never)).toThrow(InvalidOptionsError);
    expect(() => checkFollowOptions({ onEvent: () => undefined, afterIndex: -2 })).toThrow(/afterIndex/);
    expect(() => checkFollowOptions({ onEvent: () => undefined, pollMs: 0 })).toThrow(/pollMs/);
    expect(() => checkFollowOptions({ onEvent: () => undefined, poll: 5 } as never)).toThrow(/pollMs/);
  });
});
