import type { JsonRpcEnvelope } from "../persist/types.js";

// The marker of a loss in transit. When a runtime's event stream skipped messages that could
// not be fetched again, the client records this notification (sender "client") in each session
// the lost messages may have belonged to, at the place in the history where they went missing.
// The transcript marks the turn it falls in as incomplete; apps can find it with
// `isEventsLostMarker`.

/** JSON-RPC method of the events-lost marker. The leading underscore keeps it out of ACP's namespace. */
export const EVENTS_LOST_METHOD = "_durable_agent/events_lost";

/** What an events-lost marker says. */
export interface EventsLostDetails {
  /** The runtime connection whose stream lost the messages. */
  connectionId: string;
  /** The runtime's stream id of the first missing message. */
  fromStreamId: number;
  /** The runtime's stream id of the last missing message. */
  toStreamId: number;
  /** How many messages are missing (`toStreamId - fromStreamId + 1`). */
  count: number;
  /** Why they could not be recovered, for people reading the history. */
  reason: string;
}

/** The marker notification for `details`. */
export function eventsLostMarker(details: EventsLostDetails): JsonRpcEnvelope {
  return { jsonrpc: "2.0", method: EVENTS_LOST_METHOD, params: { ...details } } as JsonRpcEnvelope;
}

/** The details of an events-lost marker, or `undefined` when `envelope` is not one. */
export function eventsLostDetails(envelope: unknown): EventsLostDetails | undefined {
  if (typeof envelope !== "object" || envelope === null) return undefined;
  const e = envelope as { method?: unknown; id?: unknown; params?: unknown };
  if (e.method !== EVENTS_LOST_METHOD || e.id !== undefined) return undefined;
  const p = e.params as Partial<EventsLostDetails> | undefined;
  if (typeof p !== "object" || p === null || typeof p.count !== "number") return undefined;
  return {
    connectionId: String(p.connectionId ?? ""),
    fromStreamId: Number(p.fromStreamId),
    toStreamId: Number(p.toStreamId),
    count: p.count,
    reason: String(p.reason ?? ""),
  };
}

/** Whether `envelope` is an events-lost marker recorded by this SDK. */
export function isEventsLostMarker(envelope: unknown): boolean {
  return eventsLostDetails(envelope) !== undefined;
}
