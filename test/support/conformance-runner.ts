import type { SessionPersistDriver } from "../../src/persist/types.js";
import { describeDriverConformance, type ConformanceTestApi } from "../../src/testing.js";

// A tiny collecting test runner for the driver conformance suite: it registers the suite's
// tests without a real runner, so a unit test can run them against deliberately broken
// drivers and check which ones fail (the suite must be able to fail).

type Hook = () => Promise<void>;

/** One collected test: its full name (groups joined by " > ") and a function running it with its hooks. */
export interface CollectedTest {
  name: string;
  run: () => Promise<void>;
}

/** Register the conformance suite for `createDriver` and return its tests, not yet run. */
export function collectConformance<D extends SessionPersistDriver & { close?: () => Promise<void> }>(
  createDriver: () => D,
  limits?: { maxEventsPerSession?: number; maxSessions?: number },
): CollectedTest[] {
  const tests: CollectedTest[] = [];
  const path: string[] = [];
  const befores: Hook[][] = [[]];
  const afters: Hook[][] = [[]];
  const api: ConformanceTestApi = {
    describe(name, fn) {
      path.push(name);
      befores.push([]);
      afters.push([]);
      fn();
      path.pop();
      befores.pop();
      afters.pop();
    },
    it(name, fn) {
      const before = befores.flat();
      const after = afters.slice().reverse().flat();
      tests.push({
        name: [...path, name].join(" > "),
        run: async () => {
          for (const hook of before) await hook();
          try {
            await fn();
          } finally {
            for (const hook of after) await hook();
          }
        },
      });
    },
    beforeEach(fn) {
      befores[befores.length - 1]!.push(fn);
    },
    afterEach(fn) {
      afters[afters.length - 1]!.push(fn);
    },
  };
  describeDriverConformance({ name: "probe", createDriver, disposeDriver: (d) => d.close?.(), test: api, limits });
  return tests;
}

/** Run the collected tests whose name matches `filter`; the names of those that failed. */
export async function failingTests(tests: readonly CollectedTest[], filter: RegExp): Promise<string[]> {
  const failed: string[] = [];
  for (const test of tests) {
    if (!filter.test(test.name)) continue;
    try {
      await test.run();
    } catch {
      failed.push(test.name);
    }
  }
  return failed;
}
