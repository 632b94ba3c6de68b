import { MemoryBackend } from "./memory/backend.js";
import { resolveOptions, type InMemorySessionPersistDriverOptions } from "./memory/options.js";
import type { SessionLeaseCapabilities } from "./leases.js";
import { PersistDriver } from "./persist-driver.js";

export type { InMemorySessionPersistDriverOptions } from "./memory/options.js";

const DRIVER_NAME = "InMemorySessionPersistDriver";

/**
 * A driver that keeps everything in process memory: the default when no driver is given,
 * and the shortest complete example of a driver built on the kit (`src/persist/memory/`).
 * Over `maxSessions` it evicts the least recently active session (any write is activity);
 * over `maxEventsPerSession` it drops that session's oldest events. Everything stored and
 * returned is a copy.
 *
 * ```ts
 * const persist = new InMemorySessionPersistDriver({ maxSessions: 100, maxEventsPerSession: 2000 });
 * ```
 */
export class InMemorySessionPersistDriver extends PersistDriver {
  // Session leases (docs/leases.md): this driver's backend has the kit's lease primitives.
  /** Take or renew the lease on a session: see {@link SessionLeaseCapabilities.acquireLease}. */
  declare readonly acquireLease: SessionLeaseCapabilities["acquireLease"];
  /** Extend a lease while its token is current: see {@link SessionLeaseCapabilities.renewLease}. */
  declare readonly renewLease: SessionLeaseCapabilities["renewLease"];
  /** Give a lease up: see {@link SessionLeaseCapabilities.releaseLease}. */
  declare readonly releaseLease: SessionLeaseCapabilities["releaseLease"];
  /** A session's lease row: see {@link SessionLeaseCapabilities.getLease}. */
  declare readonly getLease: SessionLeaseCapabilities["getLease"];
  /** `insertEvents`, refused after a takeover: see {@link SessionLeaseCapabilities.insertEventsFenced}. */
  declare readonly insertEventsFenced: SessionLeaseCapabilities["insertEventsFenced"];
  /** `updateSession`, refused after a takeover: see {@link SessionLeaseCapabilities.updateSessionFenced}. */
  declare readonly updateSessionFenced: SessionLeaseCapabilities["updateSessionFenced"];

  /** @throws PersistValidationError when an option is not a positive integer. */
  constructor(options: InMemorySessionPersistDriverOptions = {}) {
    super(DRIVER_NAME, new MemoryBackend(resolveOptions(options)));
  }
}
