import type { EventClash, MaybePromise, PersistBackend } from "./backend.js";
import { dedupeBatch } from "./batch.js";
import { PersistValidationError } from "./errors.js";
import { parseLeaseHolder, parseLeaseTtl, parseSessionLease } from "./lease-schemas.js";
import type { LeaseAcquireResult, SessionLease, SessionLeaseCapabilities } from "./leases.js";
import { parseSessionEvents, parseSessionId } from "./schemas.js";
import type { SessionEvent, SessionRecord } from "./types.js";

type LeasePrimitive =
  | "acquireLease"
  | "renewLease"
  | "releaseLease"
  | "readLease"
  | "insertEventsFenced"
  | "writeSessionFenced";

const PRIMITIVES: readonly LeasePrimitive[] = [
  "acquireLease",
  "renewLease",
  "releaseLease",
  "readLease",
  "insertEventsFenced",
  "writeSessionFenced",
];

/** A backend with the six lease primitives. */
export type LeaseBackend = PersistBackend & Required<Pick<PersistBackend, LeasePrimitive>>;

/** Whether `backend` has all six lease primitives (a backend with some of them only is a mistake, refused). */
export function hasLeasePrimitives(backend: PersistBackend): backend is LeaseBackend {
  const present = PRIMITIVES.filter((name) => typeof backend[name] === "function").length;
  if (present !== 0 && present !== PRIMITIVES.length) {
    throw new TypeError("A PersistBackend must have all six lease primitives or none of them");
  }
  return present === PRIMITIVES.length;
}

/** What the kit's driver lends the lease methods: its checks and its insert loop. */
export interface LeaseGuard {
  /** Throw `DriverClosedError` once the driver is closed. */
  assertOpen(): void;
  /** Run one backend call, a failure after close turned into `DriverClosedError`. */
  call<T>(run: () => MaybePromise<T>): MaybePromise<T>;
  /** Validate a record, with the backend's own checks. */
  checkRecord(record: SessionRecord): SessionRecord;
  /** Run the backend's own checks on validated events. */
  checkEvents(what: string, events: readonly SessionEvent[]): void;
  /**
   * Insert a validated, de-duplicated batch through `store` (one all-or-nothing backend call),
   * dropping idempotent re-inserts and naming conflicts as `insertEvents` does.
   */
  insert(
    sessionId: string,
    batch: readonly SessionEvent[],
    store: (events: readonly SessionEvent[]) => MaybePromise<readonly EventClash[] | undefined>,
  ): Promise<void> | undefined;
}

/**
 * The lease methods of a `PersistDriver` over `backend`: validation (nothing reaches the
 * backend unless valid) and the closed state. `PersistDriver` installs them only when the
 * backend has the primitives, so a driver without them has no lease methods at all.
 */
export function leaseMethods(backend: LeaseBackend, guard: LeaseGuard): SessionLeaseCapabilities {
  return {
    async acquireLease(sessionId: string, holder: string, ttlMs: number): Promise<LeaseAcquireResult> {
      guard.assertOpen();
      const id = parseSessionId(sessionId, "sessionId");
      const who = parseLeaseHolder(holder);
      const ttl = parseLeaseTtl(ttlMs);
      return guard.call(() => backend.acquireLease(id, who, ttl));
    },
    async renewLease(lease: SessionLease, ttlMs: number): Promise<SessionLease> {
      guard.assertOpen();
      const valid = parseSessionLease(lease);
      const ttl = parseLeaseTtl(ttlMs);
      return guard.call(() => backend.renewLease(valid, ttl));
    },
    async releaseLease(lease: SessionLease): Promise<void> {
      guard.assertOpen();
      const valid = parseSessionLease(lease);
      return guard.call(() => backend.releaseLease(valid));
    },
    async getLease(sessionId: string): Promise<SessionLease | undefined> {
      guard.assertOpen();
      const id = parseSessionId(sessionId, "sessionId");
      return guard.call(() => backend.readLease(id));
    },
    async insertEventsFenced(lease: SessionLease, events: readonly SessionEvent[]): Promise<void> {
      guard.assertOpen();
      const valid = parseSessionLease(lease);
      const batch = parseSessionEvents(valid.sessionId, events);
      // Like insertEvents, an empty batch is a no-op: it writes nothing, so there is nothing to fence.
      if (batch.length === 0) return;
      guard.checkEvents("session events", batch);
      const settling = guard.insert(valid.sessionId, dedupeBatch(valid.sessionId, batch), (pending) =>
        backend.insertEventsFenced(valid, pending),
      );
      if (settling !== undefined) await settling;
    },
    async updateSessionFenced(lease: SessionLease, session: SessionRecord): Promise<void> {
      guard.assertOpen();
      const valid = parseSessionLease(lease);
      const record = guard.checkRecord(session);
      if (record.id !== valid.sessionId) {
        throw new PersistValidationError("session record", [
          { path: "session.id", message: `must be the lease's session id "${valid.sessionId}"` },
        ]);
      }
      return guard.call(() => backend.writeSessionFenced(valid, record));
    },
  };
}
