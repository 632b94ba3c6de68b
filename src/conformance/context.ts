import type { ConformanceLimits, ConformanceTestApi } from "./types.js";
import type { SessionPersistDriverWithCapabilities } from "../persist/types.js";

/** The smallest caps the suite can work within (some tests need ten sessions or events). */
export const MIN_LIMIT = 10;

/** What every group of conformance tests receives. */
export interface SuiteContext {
  /** The runner's functions. */
  test: ConformanceTestApi;
  /** The fresh driver of the running test. */
  driver(): SessionPersistDriverWithCapabilities;
  /** Tell the suite the test closed the driver, so it is not disposed again. */
  markClosed(): void;
  /** The driver's caps (defaults: unlimited). */
  limits: Required<ConformanceLimits>;
  /** `n`, lowered to the per-session event cap. */
  events(n: number): number;
  /** `n`, lowered to the session cap. */
  sessions(n: number): number;
}

/** Create the shared context from the caps. */
export function createContext(test: ConformanceTestApi, limits: ConformanceLimits | undefined): {
  ctx: SuiteContext;
  set(driver: SessionPersistDriverWithCapabilities | undefined): void;
  closedByTest(): boolean;
} {
  for (const [name, value] of Object.entries(limits ?? {})) {
    if (value !== undefined && !(Number.isInteger(value) && value >= MIN_LIMIT)) {
      throw new RangeError(`conformance: limits.${name} must be an integer of at least ${MIN_LIMIT}, got ${String(value)}`);
    }
  }
  let current: SessionPersistDriverWithCapabilities | undefined;
  let closed = false;
  const capped: Required<ConformanceLimits> = {
    maxEventsPerSession: limits?.maxEventsPerSession ?? Number.POSITIVE_INFINITY,
    maxSessions: limits?.maxSessions ?? Number.POSITIVE_INFINITY,
  };
  const ctx: SuiteContext = {
    test,
    driver() {
      if (!current) throw new Error("conformance: no driver (createDriver has not run)");
      return current;
    },
    markClosed() {
      closed = true;
    },
    limits: capped,
    events: (n) => Math.min(n, capped.maxEventsPerSession),
    sessions: (n) => Math.min(n, capped.maxSessions),
  };
  return {
    ctx,
    set(driver) {
      current = driver;
      closed = false;
    },
    closedByTest: () => closed,
  };
}
