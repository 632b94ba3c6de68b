import type { JsonRpcEnvelope } from "../persist/types.js";

// Markers the lifecycle operations record in a session's history (sender "client",
// notifications in the `_durable_agent/` namespace, like the events-lost marker):
// - `_durable_agent/history_trimmed` sits at the cut a retention trim made: the events
//   before it were deleted on purpose. A history whose first event is this marker does not
//   start at `eventIndex` 0, and nothing reads that as loss.
// - `_durable_agent/forked_from` is the first event (`eventIndex` 0) of a forked session: it
//   names the parent and the last parent event copied.

/** JSON-RPC method of the history-trimmed marker. */
export const HISTORY_TRIMMED_METHOD = "_durable_agent/history_trimmed";

/** JSON-RPC method of the forked-from marker. */
export const FORKED_FROM_METHOD = "_durable_agent/forked_from";

/** What a history-trimmed marker says. */
export interface HistoryTrimmedDetails {
  /** `eventIndex` of the first event kept after the marker (the marker itself is at this minus 1). */
  firstKeptIndex: number;
  /** How many events this trim deleted. */
  removedEvents: number;
  /** When the trim ran, epoch milliseconds. */
  trimmedAt: number;
  /** Why, for people reading the history (e.g. `"maxEventsPerSession 1000"`). */
  reason: string;
  /**
   * The forked-from marker this trim deleted (or an earlier trim carried), so a trimmed
   * fork still names its parent.
   */
  forkedFrom?: ForkedFromDetails;
}

/** What a forked-from marker says. */
export interface ForkedFromDetails {
  /** The session the fork was copied from. */
  parentSessionId: string;
  /** `eventIndex`, in the parent, of the last event copied; `-1` when the parent had none. */
  parentEventIndex: number;
  /** How many events were copied (they follow the marker, from `eventIndex` 1). */
  copiedEvents: number;
  /** When the fork was made, epoch milliseconds. */
  forkedAt: number;
}

/** The history-trimmed marker notification for `details`. */
export function historyTrimmedMarker(details: HistoryTrimmedDetails): JsonRpcEnvelope {
  return { jsonrpc: "2.0", method: HISTORY_TRIMMED_METHOD, params: { ...details } } as JsonRpcEnvelope;
}

/** The forked-from marker notification for `details`. */
export function forkedFromMarker(details: ForkedFromDetails): JsonRpcEnvelope {
  return { jsonrpc: "2.0", method: FORKED_FROM_METHOD, params: { ...details } } as JsonRpcEnvelope;
}

/** The params of a notification with `method`, or `undefined` when `envelope` is not one. */
function notificationParams(envelope: unknown, method: string): Record<string, unknown> | undefined {
  if (typeof envelope !== "object" || envelope === null) return undefined;
  const e = envelope as { method?: unknown; id?: unknown; params?: unknown };
  if (e.method !== method || e.id !== undefined) return undefined;
  return typeof e.params === "object" && e.params !== null ? (e.params as Record<string, unknown>) : undefined;
}

const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** The details of a history-trimmed marker, or `undefined` when `envelope` is not one. */
export function historyTrimmedDetails(envelope: unknown): HistoryTrimmedDetails | undefined {
  const p = notificationParams(envelope, HISTORY_TRIMMED_METHOD);
  if (!p || !isIndex(p.firstKeptIndex)) return undefined;
  const forkedFrom = forkParams(p.forkedFrom);
  return {
    firstKeptIndex: p.firstKeptIndex,
    removedEvents: isIndex(p.removedEvents) ? p.removedEvents : 0,
    trimmedAt: typeof p.trimmedAt === "number" ? p.trimmedAt : 0,
    reason: String(p.reason ?? ""),
    ...(forkedFrom ? { forkedFrom } : {}),
  };
}

/** The details of a forked-from marker, or `undefined` when `envelope` is not one. */
export function forkedFromDetails(envelope: unknown): ForkedFromDetails | undefined {
  return forkParams(notificationParams(envelope, FORKED_FROM_METHOD));
}

/**
 * The parent a session's history names: its forked-from marker's details, or those a trim
 * marker carried over when it deleted the forked-from marker; `undefined` for anything else.
 */
export function forkOrigin(envelope: unknown): ForkedFromDetails | undefined {
  return forkedFromDetails(envelope) ?? historyTrimmedDetails(envelope)?.forkedFrom;
}

function forkParams(value: unknown): ForkedFromDetails | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const p = value as Record<string, unknown>;
  if (typeof p.parentSessionId !== "string" || !isIndex(p.parentEventIndex)) return undefined;
  return {
    parentSessionId: p.parentSessionId,
    parentEventIndex: p.parentEventIndex,
    copiedEvents: isIndex(p.copiedEvents) ? p.copiedEvents : 0,
    forkedAt: typeof p.forkedAt === "number" ? p.forkedAt : 0,
  };
}

/** Whether `envelope` is a history-trimmed marker recorded by this SDK. */
export function isHistoryTrimmedMarker(envelope: unknown): boolean {
  return historyTrimmedDetails(envelope) !== undefined;
}

/** Whether `envelope` is a forked-from marker recorded by this SDK. */
export function isForkedFromMarker(envelope: unknown): boolean {
  return forkedFromDetails(envelope) !== undefined;
}
