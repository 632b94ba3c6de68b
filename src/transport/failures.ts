import type { AnyMessage } from "@agentclientprotocol/sdk";
import { UNDELIVERED_ERROR_CODE, undeliveredResponse } from "../protocol/envelopes.js";
import type { RuntimeError } from "./errors.js";

// When a request fails in transit (refused, instance gone, HTTP error), the transport
// answers it with a synthetic JSON-RPC error response. The ACP connection then settles
// the request like any other, the recorder stores what happened (an undelivered prompt is
// marked so, and never replayed as if the agent had seen it), and the client turns the
// response back into the typed error here.

/** JSON-RPC error code of every synthetic response (the undelivered code of `protocol/envelopes`). */
export const TRANSPORT_FAILURE_CODE = UNDELIVERED_ERROR_CODE;

/** What went wrong with one request in transit. */
export interface TransportFailure {
  /** True when the request is known not to have reached the agent. */
  undelivered: boolean;
  /** The typed error to surface to the caller. */
  error: RuntimeError;
}

const typedErrors = new WeakMap<object, RuntimeError>();

/**
 * The synthetic error response for request `id`: an undelivered response (see
 * `undeliveredResponse`) when nothing reached the agent, otherwise the same shape marked
 * `"failed"`. `error.data` also names the method, the typed error's code and the HTTP status.
 */
export function failureResponse(id: string | number | null, method: string, failure: TransportFailure): AnyMessage {
  const reason = failure.error.message;
  const base = undeliveredResponse(id ?? 0, reason) as { error: { code: number; message: string; data: Record<string, unknown> } };
  const data: Record<string, unknown> = {
    ...base.error.data,
    durableAgent: failure.undelivered ? "undelivered" : "failed",
    method,
    errorCode: failure.error.code,
    ...(failure.error.status !== undefined ? { status: failure.error.status } : {}),
  };
  typedErrors.set(data, failure.error);
  return {
    jsonrpc: "2.0",
    id,
    error: { code: TRANSPORT_FAILURE_CODE, message: failure.undelivered ? base.error.message : `Request failed: ${reason}`, data },
  };
}

/** The typed error behind a synthetic response's `error.data`, when it was made in this process. */
export function typedErrorOf(data: unknown): RuntimeError | undefined {
  return typeof data === "object" && data !== null ? typedErrors.get(data) : undefined;
}
