import type { PersistBackend } from "./backend.js";
import { hasLeasePrimitives } from "./lease-methods.js";
import type { SessionLeaseCapabilities } from "./leases.js";
import { PersistDriver } from "./persist-driver.js";

/**
 * A {@link PersistDriver} over a backend that always has the six lease primitives, so its
 * lease methods (docs/leases.md) are declared present: `driver.acquireLease(...)` needs no
 * capability check. Every driver of this package extends it; extend it too when your
 * backend leases.
 *
 * ```ts
 * class MySessionPersistDriver extends LeasingPersistDriver {
 *   constructor(options: MyOptions) {
 *     super("MySessionPersistDriver", new MyLeasingBackend(options));
 *   }
 * }
 * ```
 */
export class LeasingPersistDriver extends PersistDriver {
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

  /**
   * @param name the driver's name, used in error messages.
   * @param backend the storage primitives, lease primitives included.
   * @throws TypeError when the backend lacks the lease primitives.
   */
  constructor(name: string, backend: PersistBackend) {
    if (!hasLeasePrimitives(backend)) throw new TypeError(`${name}: its backend has no lease primitives`);
    super(name, backend);
  }
}
