import type { ContentBlock } from "@agentclientprotocol/sdk";
import type { JsonRpcEnvelope } from "../persist/types.js";

// Small facts about raw JSON-RPC envelopes that the recorder (which writes them) and the
// transcript builder (which reads them back) must agree on.

/** A JSON-RPC request id as it appears on the wire. */
export type JsonRpcRequestId = string | number;

/** Which of the three JSON-RPC message shapes an envelope has. */
export type EnvelopeKind = "request" | "response" | "notification";

/**
 * The shape of a raw envelope: a request has `method` and `id`, a notification has
 * `method` and no `id`, a response has an `id` and `result` or `error`. Returns `undefined`
 * for anything else (a malformed record is never guessed at).
 */
export function envelopeKind(envelope: JsonRpcEnvelope): EnvelopeKind | undefined {
  const e = envelope as unknown as Record<string, unknown>;
  if (typeof e !== "object" || e === null) return undefined;
  if (typeof e.method === "string") return "id" in e && e.id !== undefined ? "request" : "notification";
  if ("id" in e && ("result" in e || "error" in e)) return "response";
  return undefined;
}

/**
 * JSON-RPC error code of the response the client records, in place of the agent's, when a
 * request never reached the runtime. It lies in the range JSON-RPC leaves to
 * implementations (-32000 to -32099); no runtime or agent sends it.
 */
export const UNDELIVERED_ERROR_CODE = -32099;

/** The `error.data` of an {@link undeliveredResponse}. */
export interface UndeliveredErrorData {
  /** Marks the response as generated locally by durable-agent for an undelivered request. */
  durableAgent: "undelivered";
  /** Why the request did not reach the runtime, for people reading the history. */
  reason: string;
}

/**
 * The envelope the client records (with sender `"client"`) when the request with
 * `requestId` failed to reach the runtime: a JSON-RPC error response to that id, with code
 * {@link UNDELIVERED_ERROR_CODE} and {@link UndeliveredErrorData} as `error.data`.
 * The transcript leaves a prompt answered this way out entirely, so a replay never presents
 * it as something the agent saw.
 *
 * @example
 * undeliveredResponse(7, "runtime unreachable: ECONNREFUSED")
 * // { jsonrpc: "2.0", id: 7, error: { code: -32099, message: "Request not delivered: runtime unreachable: ECONNREFUSED",
 * //   data: { durableAgent: "undelivered", reason: "runtime unreachable: ECONNREFUSED" } } }
 */
export function undeliveredResponse(requestId: JsonRpcRequestId, reason: string): JsonRpcEnvelope {
  const data: UndeliveredErrorData = { durableAgent: "undelivered", reason };
  return {
    jsonrpc: "2.0",
    id: requestId,
    error: { code: UNDELIVERED_ERROR_CODE, message: `Request not delivered: ${reason}`, data },
  };
}

/** Whether `envelope` is a response made by {@link undeliveredResponse}. */
export function isUndeliveredResponse(envelope: JsonRpcEnvelope): boolean {
  if (envelopeKind(envelope) !== "response" || !("error" in envelope)) return false;
  const error: unknown = envelope.error;
  if (typeof error !== "object" || error === null) return false;
  const { code, data } = error as { code?: unknown; data?: unknown };
  return (
    code === UNDELIVERED_ERROR_CODE &&
    typeof data === "object" &&
    data !== null &&
    (data as { durableAgent?: unknown }).durableAgent === "undelivered"
  );
}

/**
 * First line of every replay block. The client sends a replay as a separate first text
 * content block of a `session/prompt` whose text starts with this header; the transcript
 * builder recognises such blocks (see {@link isReplayBlock}) and skips them, so replays
 * never nest.
 */
export const REPLAY_HEADER = "[durable-agent replay]";

/** Whether a prompt content block is a replay block written by this SDK. */
export function isReplayBlock(block: ContentBlock): boolean {
  return block.type === "text" && typeof block.text === "string" && block.text.startsWith(REPLAY_HEADER);
}

/**
 * Start of the last line of every replay block. Text after that line, in a block that
 * starts with {@link REPLAY_HEADER}, is the user's own message (for agents that merge a
 * prompt's blocks into one when they replay their history).
 */
export const REPLAY_FOOTER = "[end of durable-agent replay]";

/** A JSON-RPC request's id and method. */
export interface RequestHead {
  /** The request id (`null` is allowed by JSON-RPC, if unusual). */
  id: string | number | null;
  /** The method. */
  method: string;
}

/** The id and method of `message` when it is a request (a method and an id); `undefined` for notifications and responses. */
export function requestOf(message: unknown): RequestHead | undefined {
  const m = message as { method?: unknown; id?: unknown } | null;
  if (typeof m !== "object" || m === null || typeof m.method !== "string" || !("id" in m) || m.id === undefined) return undefined;
  return { id: m.id as string | number | null, method: m.method };
}
