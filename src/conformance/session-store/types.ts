import type { FoldSessionSummary, SessionStore } from "../../session-store/types.js";
import type { ConformanceTestApi } from "../types.js";

/**
 * The runner's functions: those of the driver suite, and the runner's way to register a test
 * that must fail (vitest `it.fails`, Jest `test.failing`; with `node:test`, a test that
 * asserts the body rejects). `fails` is needed only with `expectedFailures`.
 */
export interface SessionStoreConformanceTestApi extends ConformanceTestApi {
  /** Registers a test that passes only when its body fails. */
  fails?(name: string, fn: () => Promise<void>): unknown;
}

/** Options of {@link describeSessionStoreConformance}. */
export interface SessionStoreConformanceOptions<S extends SessionStore = SessionStore> {
  /** Name shown in the test report. */
  name: string;
  /** Returns a store on fresh, empty storage; called before every test. */
  createStore: () => Promise<S> | S;
  /** Releases a store after its test (e.g. `store.close()`). */
  disposeStore?: (store: S) => Promise<void> | void;
  /**
   * Another store on the same storage as `store` (a second connection or pool, as a second
   * process would have), for the several-writers tests; it is disposed with `disposeStore`.
   * Default: the writers share `store`.
   */
  openPeer?: (store: S) => Promise<S> | S;
  /** The runner's functions. */
  test: SessionStoreConformanceTestApi;
  /**
   * Tests the store is known to fail, by id (the `[id]` at the start of each test's name),
   * each with the reason. They are registered with `test.fails`, so each must fail: a fixed
   * store fails the run until its entry goes. An unknown id is refused with a `RangeError`.
   */
  expectedFailures?: Readonly<Record<string, string>>;
  /** The fold summaries are checked against. Default: the SDK's `foldSessionSummary`, imported on first use. */
  foldSessionSummary?: FoldSessionSummary;
  /** Size of the large-transcript and several-writers tests, as a factor (default 1: 12,000 entries, 4 writers x 40 batches). */
  scale?: number;
}
