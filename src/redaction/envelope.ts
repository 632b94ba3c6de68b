import type { JsonRpcEnvelope, SessionEvent, SessionEventSender } from "../persist/types.js";
import { RedactionFailedError } from "./errors.js";
import type { redactSecrets } from "./redact-secrets.js";

/** What a {@link RedactHook} is told about the envelope it redacts. */
export interface RedactContext {
  /** The session the envelope belongs to. */
  readonly sessionId: string;
  /** Who sent it. */
  readonly sender: SessionEventSender;
}

/**
 * Rewrites an envelope before it is stored (synchronously; it must not mutate its input).
 * `jsonrpc`, `id` and `method` are structure: whatever the hook does to them, the stored
 * envelope keeps the originals. {@link redactSecrets} returns a function that fits.
 */
export type RedactHook = ((payload: JsonRpcEnvelope, context: RedactContext) => JsonRpcEnvelope) & {
  /**
   * Optional: the secrets in one text. When the hook has it (as {@link redactSecrets}'s
   * does), the text of message chunks an agent streams is redacted across chunk boundaries.
   */
  findSecrets?: (text: string) => readonly { start: number; end: number; replacement: string }[];
};

/** The `_meta` key of the marker that replaces a withheld envelope's content. */
export const WITHHELD_META_KEY = "durable-agent/withheld";

/**
 * The stored form of an envelope whose redaction failed: `jsonrpc`, `id` and `method` kept
 * (requests still pair with responses), its content replaced by a marker. A response keeps
 * its kind: a `result` becomes `{ _meta: marker }`, an `error` keeps its code with a marker message.
 */
export function withheldEnvelope(payload: JsonRpcEnvelope): JsonRpcEnvelope {
  const source = payload as { jsonrpc?: unknown; id?: unknown; method?: unknown; error?: { code?: unknown } };
  const marker = { [WITHHELD_META_KEY]: "redaction_failed" };
  const out: Record<string, unknown> = { jsonrpc: "2.0" };
  if (source.id !== undefined) out.id = source.id;
  if (typeof source.method === "string") {
    out.method = source.method;
    out.params = { _meta: marker };
  } else if (source.error !== undefined) {
    out.error = { code: typeof source.error?.code === "number" ? source.error.code : -32603, message: "withheld: redaction failed", data: marker };
  } else {
    out.result = { _meta: marker };
  }
  return out as JsonRpcEnvelope;
}

/** Whether `payload` is the stored form of an envelope withheld by a failed redaction. */
export function isWithheldEnvelope(payload: unknown): boolean {
  if (typeof payload !== "object" || payload === null) return false;
  const p = payload as { params?: { _meta?: Record<string, unknown> }; result?: { _meta?: Record<string, unknown> }; error?: { data?: Record<string, unknown> } };
  const meta = p.params?._meta ?? p.result?._meta ?? p.error?.data;
  return typeof meta === "object" && meta !== null && meta[WITHHELD_META_KEY] === "redaction_failed";
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The event as it is to be stored: its payload through `redact`, with the structural fields
 * put back. When the hook throws or returns no object, the content is withheld and the
 * failure is returned for reporting. The event passed in is never changed.
 */
export function redactEvent(event: SessionEvent, redact: RedactHook): { event: SessionEvent; failure?: RedactionFailedError } {
  const original = event.payload as Record<string, unknown>;
  let redacted: unknown;
  try {
    redacted = redact(event.payload, { sessionId: event.sessionId, sender: event.sender });
    if (!isObject(redacted)) throw new TypeError(`the redact hook returned ${redacted === null ? "null" : Array.isArray(redacted) ? "an array" : typeof redacted}, not an envelope`);
  } catch (cause) {
    return {
      event: { ...event, payload: withheldEnvelope(event.payload) },
      failure: new RedactionFailedError(event.sessionId, event.id, event.eventIndex, cause),
    };
  }
  if (redacted === original) return { event };
  const payload: Record<string, unknown> = { ...redacted };
  for (const key of ["jsonrpc", "id", "method"] as const) {
    if (key in original) payload[key] = original[key];
    else delete payload[key];
  }
  return { event: { ...event, payload: payload as JsonRpcEnvelope } };
}
