import assert from "node:assert/strict";
import type { PersistDriver } from "../../src/persist/persist-driver.js";
import { conformanceFixtures } from "../../src/testing.js";

const { makeEvents } = conformanceFixtures;

/** Fill `writer` with a 1,000-event session ("small") and a 100,000-event one ("large"), in batches of 1,000. */
export async function seedSmallAndLarge(writer: PersistDriver): Promise<void> {
  for (const [id, size] of [["small", 1000], ["large", 100_000]] as const) {
    for (let at = 0; at < size; at += 1000) await writer.insertEvents(id, makeEvents(id, at, at + 1000));
  }
}

/**
 * The median time of reading the last 50 events of "small" and of "large" (30 calls each,
 * after one warm-up call), in ms.
 */
export async function tailTimes(reader: PersistDriver): Promise<{ small: number; large: number }> {
  const time = async (id: string) => {
    await reader.listLatestEvents(id, 50);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      const tail = await reader.listLatestEvents(id, 50);
      times.push(performance.now() - t0);
      assert.equal(tail.length, 50);
    }
    return times.sort((a, b) => a - b)[15] as number;
  };
  return { small: await time("small"), large: await time("large") };
}
