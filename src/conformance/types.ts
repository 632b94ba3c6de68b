import type { SessionPersistDriver } from "../persist/types.js";

/**
 * The test-runner functions the suite registers its tests with. Vitest's, Jest's, Mocha's
 * and `node:test`'s `describe`/`it`/`beforeEach`/`afterEach` all fit.
 */
export interface ConformanceTestApi {
  /** Groups tests. */
  describe(name: string, fn: () => void): unknown;
  /** Registers one test. */
  it(name: string, fn: () => Promise<void>): unknown;
  /** Runs before every test of the enclosing group. */
  beforeEach(fn: () => Promise<void>): unknown;
  /** Runs after every test of the enclosing group. */
  afterEach(fn: () => Promise<void>): unknown;
}

/** Caps a driver enforces; the suite stays within them so that capped drivers pass. Each must be at least 10. */
export interface ConformanceLimits {
  /** The most events the driver keeps per session before dropping old ones. */
  maxEventsPerSession?: number;
  /** The most sessions the driver keeps before evicting some. */
  maxSessions?: number;
}

/** Options of {@link describeDriverConformance}. */
export interface DriverConformanceOptions<D extends SessionPersistDriver = SessionPersistDriver> {
  /** Name shown in the test report. */
  name: string;
  /** Returns a fresh, empty driver; called before every test. */
  createDriver: () => Promise<D> | D;
  /** Releases a driver after its test (e.g. `driver.close?.()`); not called when the test closed it itself. */
  disposeDriver?: (driver: D) => Promise<void> | void;
  /** The runner's `describe`, `it`, `beforeEach` and `afterEach`. */
  test: ConformanceTestApi;
  /** Caps the driver enforces, if any. */
  limits?: ConformanceLimits;
}
