import { PersistValidationError, type ValidationIssue } from "../../src/persist/errors.js";
import { checkStateKey, DEFAULT_STATE_KEY } from "./names.js";
import type { RetentionReport } from "./retention.js";

/** Where the driver keeps events: `"state"` in `c.state`, `"sqlite"` in the actor's database, `"auto"` the database when the context offers one. */
export type RivetEventStorage = "auto" | "state" | "sqlite";

/** Options of `RivetSessionPersistDriver`. */
export interface RivetSessionPersistDriverOptions {
  /**
   * Where events go (default `"auto"`): `"sqlite"` appends them to the actor's SQLite database
   * (`db: db()` from `rivetkit/db` on the actor), where an insert writes only the new rows;
   * `"state"` keeps them in `c.state` as the reference driver does, where every save rewrites
   * the whole state. `"auto"` picks `"sqlite"` when `c.db` answers: RivetKit 2.3 gives every
   * actor its SQLite database, declared (`db: db()`) or not. With `"sqlite"`, records are in
   * the database too and `c.state` holds a mirror of them; with `"state"`, everything is there.
   */
  events?: RivetEventStorage;
  /** The key of `c.state` that holds the data (default `"_sandboxAgentPersist"`, the reference driver's). */
  stateKey?: string;
  /** The most sessions kept (default 1024); over it the oldest session goes, by the rule in docs/drivers/rivet.md. */
  maxSessions?: number;
  /** The most events kept per session (default 500 in the state, 100,000 in SQLite); over it the lowest `eventIndex` goes first. */
  maxEventsPerSession?: number;
  /**
   * The most bytes of events kept, counted as the UTF-8 length of each event's JSON (default
   * 8 MiB in the state, 256 MiB in SQLite); over it the oldest sessions go, then the oldest
   * events of the session being written. Agent state files are not counted (the client's
   * `maxFileBytes`/`maxSessionBytes` bound them); a session dropped whole loses them too.
   */
  maxBytes?: number;
  /** Called with every drop the caps cause (also logged at warn level on `c.log` and counted in `retention()`). */
  onRetention?: (report: RetentionReport) => void;
}

/** The caps, resolved for the storage in use. */
export interface RetentionLimits {
  /** The most sessions kept. */
  maxSessions: number;
  /** The most events kept per session. */
  maxEventsPerSession: number;
  /** The most bytes of events kept. */
  maxBytes: number;
}

/** The options, checked, with the storage-independent defaults applied. */
export interface ResolvedRivetOptions {
  /** The requested event storage. */
  events: RivetEventStorage;
  /** The key of `c.state`. */
  stateKey: string;
  /** Caps given by the caller (the rest default per storage, see {@link limitsFor}). */
  limits: Partial<RetentionLimits>;
  /** The caller's drop handler. */
  onRetention: ((report: RetentionReport) => void) | undefined;
}

const MiB = 1024 * 1024;

/** Default caps per storage: the state's are the reference driver's (plus a byte cap, since every save rewrites it). */
export const DEFAULT_LIMITS: Readonly<Record<"state" | "sqlite", RetentionLimits>> = {
  state: { maxSessions: 1024, maxEventsPerSession: 500, maxBytes: 8 * MiB },
  sqlite: { maxSessions: 1024, maxEventsPerSession: 100_000, maxBytes: 256 * MiB },
};

/** The caps in force for one storage: the caller's, else the defaults. */
export function limitsFor(storage: "state" | "sqlite", given: Partial<RetentionLimits>): RetentionLimits {
  return { ...DEFAULT_LIMITS[storage], ...given };
}

const WHAT = "Rivet driver options";

/**
 * Check the options and apply the defaults that do not depend on the storage.
 * @throws PersistValidationError naming every bad option; nothing is touched.
 */
export function resolveRivetOptions(options: RivetSessionPersistDriverOptions | undefined): ResolvedRivetOptions {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new PersistValidationError(WHAT, [{ path: "options", message: "must be an object" }]);
  }
  const { events = "auto", stateKey = DEFAULT_STATE_KEY, maxSessions, maxEventsPerSession, maxBytes, onRetention } = options ?? {};
  const issues: ValidationIssue[] = [];
  if (events !== "auto" && events !== "state" && events !== "sqlite") {
    issues.push({ path: "options.events", message: `must be "auto", "state" or "sqlite" (got ${JSON.stringify(events)})` });
  }
  const limits: Partial<RetentionLimits> = {};
  for (const [name, value] of Object.entries({ maxSessions, maxEventsPerSession, maxBytes })) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || (value as number) < 1) {
      issues.push({ path: `options.${name}`, message: `must be a positive integer (got ${String(value)})` });
    } else limits[name as keyof RetentionLimits] = value as number;
  }
  if (onRetention !== undefined && typeof onRetention !== "function") {
    issues.push({ path: "options.onRetention", message: "must be a function" });
  }
  if (issues.length > 0) throw new PersistValidationError(WHAT, issues);
  return { events, stateKey: checkStateKey(stateKey, WHAT), limits, onRetention };
}
