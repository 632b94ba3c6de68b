/**
 * `durable-agent/driver`: everything needed to write a persistence driver. A backend supplies
 * storage primitives ({@link PersistBackend}) and {@link PersistDriver} turns them into a
 * complete `SessionPersistDriver`; the pieces it is built from (validation, cursors, batch
 * de-duplication, equality, capability helpers) are here too, for drivers written from
 * scratch. The conformance suite is in `durable-agent/testing`. See docs/writing-a-driver.md.
 * @packageDocumentation
 */

// The kit.
export { PersistDriver } from "./persist/persist-driver.js";
export { LeasingPersistDriver } from "./persist/leasing-persist-driver.js";
export type { EventClash, MaybePromise, PersistBackend, SessionKey } from "./persist/backend.js";

// Session leases with fencing: the types, the error, validation and detection.
export { hasLeases, LEASE_METHODS } from "./persist/capabilities.js";
export { parseLeaseHolder, parseLeaseTtl, parseSessionLease, sessionLeaseSchema } from "./persist/lease-schemas.js";
export {
  LeaseLostError,
  MAX_LEASE_HOLDER_LENGTH,
  MAX_LEASE_TTL_MS,
  type LeaseAcquireResult,
  type SessionLease,
  type SessionLeaseCapabilities,
} from "./persist/leases.js";
export {
  assertCurrentToken,
  decideAcquire,
  decideRelease,
  decideRenew,
  leaseExpired,
  type LeaseDecision,
} from "./persist/lease-rules.js";

// The storage contract (also in the main entry).
export * from "./persist/types.js";

// Errors: the kit's, and the base of every backend's schema-version error.
export {
  DriverClosedError,
  EventConflictError,
  InvalidCursorError,
  PersistError,
  PersistValidationError,
  SchemaVersionError,
  UnsupportedCapabilityError,
  type EventConflictReason,
  type ValidationIssue,
} from "./persist/errors.js";

// Agent state storage: the optional capability's limits, its offset error, the kit's write record and validation.
export {
  AgentStateOffsetError,
  MAX_AGENT_STATE_APPEND_BYTES,
  MAX_AGENT_STATE_PATH_LENGTH,
} from "./persist/agent-state.js";
export type { AgentStateWrite } from "./persist/backend.js";
export { parseAgentStatePath, parseAgentStateWrite } from "./persist/agent-state-schema.js";

// Validation at the driver boundary.
export {
  isWellFormedEvent,
  listEventsRequestSchema,
  listPageRequestSchema,
  MAX_TAIL_LIMIT,
  parseListEventsRequest,
  parseListPageRequest,
  parseSessionEvent,
  parseSessionEvents,
  parseSessionId,
  parseSessionRecord,
  parseTailLimit,
  sessionEventSchema,
  sessionRecordSchema,
  type NormalizedPageRequest,
} from "./persist/schemas.js";

// Keyset cursors and listing order.
export {
  compareCodePoints,
  compareSessionKeys,
  decodeEventCursor,
  decodeSessionCursor,
  encodeEventCursor,
  encodeSessionCursor,
  type EventCursor,
  type SessionCursor,
} from "./persist/cursor.js";

// Idempotency: event equality and batch de-duplication.
export { jsonEqual, sameEvent } from "./persist/equality.js";
export { dedupeBatch } from "./persist/batch.js";

// Optional capabilities: detection and the fallbacks the client uses.
export {
  closeVia,
  deleteSessionVia,
  driverCapabilities,
  AGENT_STATE_METHODS,
  hasAgentState,
  insertEventsVia,
  insertSessionVia,
  listLatestEventsVia,
} from "./persist/capabilities.js";

// The event-trim capability (retention's deleteEventsBefore): detection, the call, validation.
export { deleteEventsBeforeVia, hasEventTrim, parseTrimArguments, trimMethod, type EventTrimCapability, type TrimArguments } from "./persist/trim.js";
// The session activity capability (retention's one-query scan): detection and the kit's method.
export { activityMethod, hasSessionActivity, type SessionActivity, type SessionActivityCapability } from "./persist/activity.js";
