import { LeaseLostError, type LeaseAcquireResult, type SessionLease } from "../../src/persist/leases.js";
import type { RedisClient } from "./connection.js";
import { ACQUIRE_LEASE, isLeaseLost, RELEASE_LEASE, RENEW_LEASE } from "./lease-scripts.js";
import { tagOf } from "./names.js";

/** A lease from a script's `holder, token, expires` reply fields. */
export function replyToLease(sessionId: string, fields: readonly unknown[]): SessionLease | undefined {
  if (fields.length < 3 || fields[0] == null) return undefined;
  return { sessionId, holder: String(fields[0]), token: Number(fields[1]), expiresAt: Number(fields[2]) };
}

/**
 * The Redis driver's leases: a hash per session (`<prefix>{s:<id>}:lease`, beside the
 * session's events, in its hash slot) written only by Lua scripts on the server's clock.
 */
export class RedisLeases {
  readonly #client: () => RedisClient;
  readonly #prefix: string;

  /** @param client the backend's client (read at each call). */
  constructor(client: () => RedisClient, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  /** The lease hash of a session. */
  key(sessionId: string): string {
    return `${this.#prefix}{s:${tagOf(sessionId)}}:lease`;
  }

  async acquire(sessionId: string, holder: string, ttlMs: number): Promise<LeaseAcquireResult> {
    const reply = (await ACQUIRE_LEASE.run(this.#client(), [this.key(sessionId)], [holder, ttlMs])) as unknown[];
    const lease = replyToLease(sessionId, reply.slice(1)) as SessionLease;
    return Number(reply[0]) === 1 ? { acquired: true, lease } : { acquired: false, heldBy: lease };
  }

  /** @throws LeaseLostError when the token is not current. */
  async renew(lease: SessionLease, ttlMs: number): Promise<SessionLease> {
    const reply = (await RENEW_LEASE.run(this.#client(), [this.key(lease.sessionId)], [String(lease.token), ttlMs])) as unknown[];
    const row = replyToLease(lease.sessionId, reply.slice(1));
    if (Number(reply[0]) !== 1 || row === undefined) throw new LeaseLostError(lease, row);
    return row;
  }

  async release(lease: SessionLease): Promise<void> {
    await RELEASE_LEASE.run(this.#client(), [this.key(lease.sessionId)], [String(lease.token)]);
  }

  /** One HMGET. */
  async read(sessionId: string): Promise<SessionLease | undefined> {
    const fields = await this.#client().hmget(this.key(sessionId), "holder", "token", "expires");
    return replyToLease(sessionId, fields);
  }

  /** Throw the {@link LeaseLostError} a fenced script's reply stands for, when it is one. */
  check(lease: SessionLease, reply: unknown): void {
    if (isLeaseLost(reply)) throw new LeaseLostError(lease, replyToLease(lease.sessionId, reply.slice(1)));
  }
}
