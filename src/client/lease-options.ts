import { InvalidOptionsError } from "./errors.js";
import { checkOptionKeys } from "./check-options.js";

/** How long a lease lasts without renewal when no `ttlMs` is given: 15 s. */
export const DEFAULT_LEASE_TTL_MS = 15_000;

/**
 * Session leases, at `connect({ lease })` (the client's default) or per call
 * (`resumeSession(id, { lease })`, `createSession({ ..., lease })`): one client drives a
 * session at a time, and every write it makes carries the lease's fencing token.
 */
export interface SessionLeaseOptions {
  /**
   * How long the lease lasts without renewal, in ms (default 15000). The holder renews it
   * every `ttlMs / 3` while alive; a holder that died (or is paused) loses it after at most
   * `ttlMs`, and another client may then take the session over.
   */
  ttlMs?: number;
  /**
   * How long create and resume wait for a lease another client holds, in ms (default 0: fail
   * at once with `SessionLeasedError`). The wait polls with backoff and, in browsers, wakes as
   * soon as another tab releases the session (Web Locks).
   */
  waitMs?: number;
  /** Aborts a wait for the lease (per call only). */
  signal?: AbortSignal;
}

/** `connect({ lease })`: on with defaults (`true`), off (`false`, the default), or options with this client's holder id. */
export type ConnectLeaseOption = boolean | (Omit<SessionLeaseOptions, "signal"> & {
  /** This client's holder id, as other clients see it in `SessionLeasedError` (default: a random id per `SandboxAgent`), e.g. a worker's name. */
  holder?: string;
});

/** A call's lease option: on (`true` or options), off (`false`), or the client's default (absent). */
export type CallLeaseOption = boolean | SessionLeaseOptions;

/** A lease policy after defaults and checks. */
export interface LeasePolicy {
  /** Whether to lease at all. */
  on: boolean;
  /** Whether the caller asked for leasing (then a driver without leases is an error, not "no lease"). */
  explicit: boolean;
  ttlMs: number;
  waitMs: number;
  signal: AbortSignal | undefined;
}

/** The client-wide lease settings. */
export interface ResolvedLeaseOptions extends LeasePolicy {
  holder: string;
}

const CONNECT_KEYS = ["ttlMs", "waitMs", "holder"];
const CALL_KEYS = ["ttlMs", "waitMs", "signal"];

function ms(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || !Number.isInteger(value)) {
    throw new InvalidOptionsError(`${name} must be an integer number of ms of at least ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Resolve `connect({ lease })`; throws {@link InvalidOptionsError} naming a bad field. */
export function resolveConnectLease(option: ConnectLeaseOption | undefined): ResolvedLeaseOptions {
  const holder = crypto.randomUUID();
  if (option === undefined || option === false) return { on: false, explicit: false, ttlMs: DEFAULT_LEASE_TTL_MS, waitMs: 0, signal: undefined, holder };
  if (option === true) return { on: true, explicit: true, ttlMs: DEFAULT_LEASE_TTL_MS, waitMs: 0, signal: undefined, holder };
  checkOptionKeys("SandboxAgent.connect lease", option, CONNECT_KEYS);
  if (option.holder !== undefined && (typeof option.holder !== "string" || option.holder.trim() === "" || option.holder.length > 256)) {
    throw new InvalidOptionsError(`lease.holder must be a non-empty string of at most 256 characters, got ${JSON.stringify(option.holder)}`);
  }
  return {
    on: true,
    explicit: true,
    ttlMs: ms("lease.ttlMs", option.ttlMs, DEFAULT_LEASE_TTL_MS, 30),
    waitMs: ms("lease.waitMs", option.waitMs, 0, 0),
    signal: undefined,
    holder: option.holder ?? holder,
  };
}

/** The policy of one call: its own option over the client's default. */
export function resolveCallLease(option: CallLeaseOption | undefined, client: ResolvedLeaseOptions): LeasePolicy {
  if (option === undefined) return { ...client, explicit: false };
  if (option === false) return { ...client, on: false, explicit: false };
  if (option === true) return { ...client, on: true, explicit: true };
  checkOptionKeys("lease", option, CALL_KEYS);
  if (option.signal !== undefined && !(option.signal instanceof AbortSignal)) throw new InvalidOptionsError("lease.signal must be an AbortSignal");
  return {
    on: true,
    explicit: true,
    ttlMs: ms("lease.ttlMs", option.ttlMs, client.ttlMs, 30),
    waitMs: ms("lease.waitMs", option.waitMs, client.waitMs, 0),
    signal: option.signal,
  };
}
