import type { SessionStore } from "../../session-store/types.js";
import { concurrencyTests } from "./concurrency.js";
import { createStoreContext, type StoreSuiteContext } from "./context.js";
import { contractTests } from "./contract.js";
import { copyTests } from "./copies.js";
import { idempotencyTests } from "./idempotency.js";
import { keyTests } from "./keys.js";
import { largeTests } from "./large.js";
import { summaryTests } from "./summaries.js";
import type { SessionStoreConformanceOptions } from "./types.js";

/** The groups of the suite, in report order. */
const GROUPS: readonly [string, (ctx: StoreSuiteContext) => void][] = [
  ["the contract: round trips, order, keys, listings, deletes", contractTests],
  ["summaries", summaryTests],
  ["uuid idempotency", idempotencyTests],
  ["returned and stored objects are copies", copyTests],
  ["keys: separators, nesting, refusals", keyTests],
  ["content and size", largeTests],
  ["several writers", concurrencyTests],
];

/**
 * Register the Claude Agent SDK `SessionStore` conformance suite with the given test runner:
 * every behaviour of the contract (what the SDK's own suites check), and what a store for
 * production must also show: `uuid` idempotency (retries, replays, repeats in a batch),
 * summaries equal to the fold of the transcript, copies, keys with `/`, `:` and Unicode,
 * nested subpaths, refused malformed keys, large transcripts, several writers at once.
 *
 * Each test's name starts with its id (`[uuid.retried-batch] ...`). A store known to break a
 * rule lists the test in `expectedFailures` with the reason: it is then registered with
 * `test.fails`, so the run documents the gap and fails the day the store is fixed.
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach, describe, it } from "vitest";
 * import { describeSessionStoreConformance } from "durable-agent/testing";
 * describeSessionStoreConformance({
 *   name: "MyStore",
 *   createStore: () => new MyStore(),
 *   test: { describe, it, beforeEach, afterEach, fails: it.fails },
 * });
 * ```
 * @throws RangeError when `expectedFailures` names a test the suite does not have.
 */
export function describeSessionStoreConformance<S extends SessionStore>(options: SessionStoreConformanceOptions<S>): void {
  const { test } = options;
  const known = new Set(sessionStoreConformanceTestIds());
  const unknown = Object.keys(options.expectedFailures ?? {}).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new RangeError(`session store conformance: expectedFailures names no test of the suite: ${unknown.join(", ")}`);
  }
  const state = createStoreContext(options);
  test.describe(`${options.name} session store conformance`, () => {
    test.beforeEach(() => state.open());
    test.afterEach(() => state.close());
    for (const [name, register] of GROUPS) test.describe(name, () => register(state.ctx));
  });
}

/** The id of every test of the suite, in report order (the keys `expectedFailures` takes). */
export function sessionStoreConformanceTestIds(): string[] {
  const ids: string[] = [];
  const recorder: StoreSuiteContext = {
    it: (id) => void ids.push(id),
    store: () => {
      throw new Error("not running");
    },
    writers: () => Promise.reject(new Error("not running")),
    fold: () => Promise.reject(new Error("not running")),
    scaled: (n) => n,
  };
  for (const [, register] of GROUPS) register(recorder);
  return ids;
}
