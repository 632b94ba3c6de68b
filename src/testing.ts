/**
 * durable-agent/testing: the driver conformance suite, and the conformance suite of the Claude
 * Agent SDK's `SessionStore` contract. Run them from a driver's or store's own test file
 * with any runner that has `describe`, `it`, `beforeEach` and `afterEach` (vitest, Jest,
 * Mocha, `node:test`); assertions use `node:assert/strict`, so it depends on no runner.
 * @packageDocumentation
 */
export { describeDriverConformance } from "./conformance/suite.js";
export type { ConformanceLimits, ConformanceTestApi, DriverConformanceOptions } from "./conformance/types.js";
export * as conformanceFixtures from "./conformance/fixtures.js";
export { describeSessionStoreConformance, sessionStoreConformanceTestIds } from "./conformance/session-store/suite.js";
export type { SessionStoreConformanceOptions, SessionStoreConformanceTestApi } from "./conformance/session-store/types.js";
export * as sessionStoreFixtures from "./conformance/session-store/fixtures.js";
