import { median } from "./stats.js";

// First- and last-page figures of a page-through. A single read of the first page pays
// the warm-up (JIT, statement preparation, caches) and a single read of any page can hit
// a scheduling hiccup on a busy machine, so each page is read again REPEATS times with
// the cursor that reached it and the median read is reported.

const REPEATS = 5;

/** Median time of `REPEATS` reads of one page. */
export async function medianPageMs(read: () => Promise<{ items: unknown[] }>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    await read();
    times.push(performance.now() - t0);
  }
  return median(times);
}
