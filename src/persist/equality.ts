import type { SessionEvent } from "./types.js";

/**
 * Deep equality of two JSON values: same types, same array order, same object keys and
 * values (object key order ignored, as JSON round trips through databases may reorder it).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  // Keys whose value is undefined vanish in JSON; ignore them on both sides.
  const aKeys = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bKeys = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (aKeys.length !== bKeys.length) return false;
  for (const key of aKeys) {
    if (!Object.prototype.hasOwnProperty.call(bo, key) || !jsonEqual(ao[key], bo[key])) return false;
  }
  return true;
}

/**
 * Whether two events are the same event: every field equal, payload compared deeply.
 * Drivers use it to tell an idempotent re-insert (a no-op) from a conflict.
 */
export function sameEvent(a: SessionEvent, b: SessionEvent): boolean {
  return (
    a.id === b.id &&
    a.eventIndex === b.eventIndex &&
    a.sessionId === b.sessionId &&
    a.createdAt === b.createdAt &&
    a.connectionId === b.connectionId &&
    a.sender === b.sender &&
    jsonEqual(a.payload, b.payload)
  );
}
