import { MemoryBackend } from "./memory/backend.js";
import { resolveOptions, type InMemorySessionPersistDriverOptions } from "./memory/options.js";
import { LeasingPersistDriver } from "./leasing-persist-driver.js";

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
export class InMemorySessionPersistDriver extends LeasingPersistDriver {
  /** @throws PersistValidationError when an option is not a positive integer. */
  constructor(options: InMemorySessionPersistDriverOptions = {}) {
    super(DRIVER_NAME, new MemoryBackend(resolveOptions(options)));
  }
}
