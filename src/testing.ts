/**
 * durable-agent/testing: the driver conformance suite. Run it from a driver's own test file
 * with any runner that has `describe`, `it`, `beforeEach` and `afterEach` (vitest, Jest,
 * Mocha, `node:test`); assertions use `node:assert/strict`, so it depends on no runner.
 * @packageDocumentation
 */
export { describeDriverConformance } from "./conformance/suite.js";
export type { ConformanceLimits, ConformanceTestApi, DriverConformanceOptions } from "./conformance/types.js";
export * as conformanceFixtures from "./conformance/fixtures.js";
