import type { AnyMessage } from "@agentclientprotocol/sdk";
import type { RuntimeError } from "./errors.js";

// When a request fails in transit (refused, instance gone, HTTP error), the transport
// answers it with a synthetic JSON-RPC error response. The ACP connection then settles
// the request like any other, the recorder stores what happened, and the client turns
// the response back into the typed error here.

/** JSON-RPC error code of the synthetic responses (implementation-defined server error range). */
export const TRANSPORT_FAILURE_CODE = -32099;

/** What went wrong with one request in transit. */
export interface TransportFailure {
  /** True when the request is known not to have reached the agent. */
  undelivered: boolean;
  /** The typed error to surface to the caller. */
  error: RuntimeError;
}

/** The `error.data` of a synthetic response; serializable, so it can be recorded. */
export interface TransportFailureData {
  /** `"undelivered"`: never reached the agent; `"failed"`: may have reached it. */
  durableAgent: "undelivered" | "failed";
  /** The request's method. */
  method: string;
  /** The typed error's code, e.g. `"runtime.lost"`. */
  errorCode: string;
  /** HTTP status, when the runtime answered. */
  status?: number;
}

const typedErrors = new WeakMap<object, RuntimeError>();

/** Build the synthetic error response for request `id`. */
export function failureResponse(id: string | number | null, method: string, failure: TransportFailure): AnyMessage {
  const data: TransportFailureData = {
    durableAgent: failure.undelivered ? "undelivered" : "failed",
    method,
    errorCode: failure.error.code,
    ...(failure.error.status !== undefined ? { status: failure.error.status } : {}),
  };
  typedErrors.set(data, failure.error);
  return { jsonrpc: "2.0", id, error: { code: TRANSPORT_FAILURE_CODE, message: failure.error.message, data } };
}

/** Whether an envelope is a synthetic response saying its request never reached the agent. */
export function isUndeliveredResponse(envelope: unknown): boolean {
  const error = (envelope as { error?: { code?: unknown; data?: { durableAgent?: unknown } } } | null)?.error;
  return error?.code === TRANSPORT_FAILURE_CODE && error.data?.durableAgent === "undelivered";
}

/** The typed error behind a synthetic response's `error.data`, when it was made in this process. */
export function typedErrorOf(data: unknown): RuntimeError | undefined {
  return typeof data === "object" && data !== null ? typedErrors.get(data) : undefined;
}
