import type { AnyMessage } from "@agentclientprotocol/sdk";
import { requestOf, type RequestHead } from "../protocol/envelopes.js";
import { ChannelBase } from "./channel-base.js";
import { RuntimeLostError } from "./errors.js";
import { failureResponse, type TransportFailure } from "./failures.js";
import type { MessageStream } from "./types.js";

// The part both ACP-standard transports share: a TransportChannel around one stream of the
// official SDK's client transports (WebSocket or Streamable HTTP). The SDK reports a dead
// connection by erroring or closing its readable and rejecting writes; this channel turns
// that into `lost` and answers every request that could not be sent with a synthetic
// response carrying a typed error, so the ACP connection on top never sees a raw transport
// error and no request is left pending.

/** How a transport reads the SDK's failures: what went wrong, and whether anything was sent. */
export interface AcpFailureClassifier {
  /** A write of `message` failed with `error`; `first` is false for writes queued behind a failed one. */
  writeFailure(error: unknown, message: AnyMessage, first: boolean): TransportFailure;
  /** The connection ended (`error` undefined when it closed cleanly from the far side). */
  lostError(error: unknown): RuntimeLostError;
}

/** Options of {@link AcpStreamChannel}. */
export interface AcpStreamChannelOptions {
  /** Id recorded on every event of this connection. */
  connectionId: string;
  /**
   * The SDK stream (from `createWebSocketStream` or `createHttpStream`), or a promise of it
   * when it needs something loaded first; a rejection fails every request as undelivered.
   */
  stream: MessageStream | Promise<MessageStream>;
  /** Reads the SDK's errors. */
  classify: AcpFailureClassifier;
  /** Whether a message written now can still be sent; when false it fails as undelivered. */
  canSend?: () => boolean;
  /**
   * Awaited before each request is handed to the SDK (after the ones before it), e.g. to
   * let the event loop report a connection the peer already closed.
   */
  beforeRequest?: () => Promise<void>;
  /** How long `close()` waits for the SDK stream to close (an HTTP DELETE, say), in ms. */
  closeTimeoutMs: number;
}

type JsonRpcId = string | number | null;
type Request = RequestHead;

/** Message of the error response the SDK's HTTP client synthesizes when a session's event stream ends. */
const SESSION_STREAM_CLOSED = "ACP session SSE stream closed";

/** One connection of an ACP-standard transport, on top of an SDK client stream. */
export class AcpStreamChannel extends ChannelBase {
  /** The SDK stream's writer and reader, once it exists; rejects when it could not be made. */
  private readonly sdk: Promise<{ writer: WritableStreamDefaultWriter<AnyMessage>; reader: ReadableStreamDefaultReader<AnyMessage> }>;
  private readonly classify: AcpFailureClassifier;
  private readonly canSend: () => boolean;
  private readonly closeTimeoutMs: number;
  private readonly beforeRequest: (() => Promise<void>) | undefined;
  private announced = false;
  private lostWith: RuntimeLostError | undefined;
  private hadWriteFailure = false;
  private writes: Promise<void> = Promise.resolve();
  /** Requests written and not yet answered, and whether they were handed to the SDK. */
  private readonly pending = new Map<JsonRpcId, { method: string; sent: boolean }>();
  /** Requests that never left, to answer when the loss is announced. */
  private readonly doomed: { request: Request; error: RuntimeLostError }[] = [];

  constructor(options: AcpStreamChannelOptions) {
    // Never rejects: a message that cannot be sent is answered (requests) or dropped.
    super(options.connectionId, (message) => this.send(message));
    this.classify = options.classify;
    this.canSend = options.canSend ?? (() => true);
    this.beforeRequest = options.beforeRequest;
    this.closeTimeoutMs = options.closeTimeoutMs;
    this.sdk = Promise.resolve(options.stream).then((stream) => {
      const writer = stream.writable.getWriter();
      // Rejects when the SDK stream dies; that is handled through each write and the readable.
      writer.closed.catch(() => undefined);
      return { writer, reader: stream.readable.getReader() };
    });
    void this.pump();
  }

  private send(message: AnyMessage): void {
    const request = requestOf(message);
    if (this.state !== "open") {
      if (request) this.failUndelivered(request, this.unusable());
      return;
    }
    if (request) this.pending.set(request.id, { method: request.method, sent: false });
    // Chained so that order is kept while a request waits for `beforeRequest`.
    this.writes = this.writes.then(() => this.write(message, request));
  }

  private async write(message: AnyMessage, request: Request | undefined): Promise<void> {
    let writer: WritableStreamDefaultWriter<AnyMessage>;
    try {
      writer = (await this.sdk).writer;
      if (request && this.beforeRequest) await this.beforeRequest();
    } catch (error) {
      this.writeFailed(error, message, request);
      return;
    }
    if (this.state !== "open" || !this.canSend()) {
      this.die(this.classify.lostError(undefined));
      if (request && this.pending.delete(request.id)) this.failUndelivered(request, this.unusable());
      return;
    }
    const entry = request ? this.pending.get(request.id) : undefined;
    if (entry) entry.sent = true;
    // Not awaited: the SDK queues writes in order, and a slow send (an HTTP POST) must not
    // hold the ACP connection's write queue.
    writer.write(message).catch((error: unknown) => this.writeFailed(error, message, request));
  }

  private writeFailed(error: unknown, message: AnyMessage, request: Request | undefined): void {
    if (this.state === "closed") return;
    const first = !this.hadWriteFailure;
    this.hadWriteFailure = true;
    this.die(this.classify.lostError(error));
    if (request && this.pending.delete(request.id)) {
      const failure = this.classify.writeFailure(error, message, first);
      if (failure.undelivered && failure.error instanceof RuntimeLostError) this.failUndelivered(request, failure.error);
      else this.fail(request, failure);
    }
  }

  /** Read the SDK's inbound messages until the connection ends. */
  private async pump(): Promise<void> {
    let failure: unknown;
    try {
      const { reader } = await this.sdk;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (this.state === "closed") return;
        this.receive(value);
      }
    } catch (error) {
      failure = error;
    }
    if (this.state === "open") this.die(this.classify.lostError(failure));
  }

  private receive(message: AnyMessage): void {
    if (!("method" in message) && "id" in message) {
      const method = this.pending.get(message.id)?.method;
      this.pending.delete(message.id);
      // The SDK answers requests whose session stream ended with a generic error; they were
      // sent and their answer is lost, which is what a lost connection means.
      if (method !== undefined && "error" in message && message.error?.message?.startsWith(SESSION_STREAM_CLOSED)) {
        const error = new RuntimeLostError(`The event stream of connection ${this.connectionId} ended before "${method}" was answered`);
        this.deliver(failureResponse(message.id, method, { undelivered: false, error }));
        return;
      }
    }
    this.deliver(message);
  }

  private unusable(): RuntimeLostError {
    return new RuntimeLostError(
      this.lostWith ? `Connection ${this.connectionId} was lost: ${this.lostWith.message}` : `Connection ${this.connectionId} is ${this.state}`,
      { undelivered: true },
    );
  }

  /**
   * Answer a request that never left with an undelivered {@link RuntimeLostError}. While
   * the loss is being announced, the answer waits for the announcement (see `announce`).
   */
  private failUndelivered(request: Request, error: RuntimeLostError): void {
    if (this.state === "lost" && !this.announced) this.doomed.push({ request, error });
    else this.fail(request, { undelivered: true, error });
  }

  private die(cause: RuntimeLostError): void {
    if (this.state !== "open") return;
    this.state = "lost";
    this.lostWith = cause;
    // Typed answers already queued on the readable (an AuthenticationError for
    // `initialize`, say) must reach the ACP connection before the loss closes it, so the
    // loss is announced on the next macrotask, once the stream pipeline has drained.
    setTimeout(() => this.announce(cause), 0);
  }

  /**
   * Announce the loss. Requests that never left are answered (for the record) right before
   * `lost` resolves, and `lost` carries `undelivered: true` when no request is in flight:
   * the ACP connection is then closed before the caller sees the failure, so a retry
   * always opens a new connection instead of reusing this dead one.
   */
  private announce(cause: RuntimeLostError): void {
    this.announced = true;
    for (const { request, error } of this.doomed.splice(0)) this.fail(request, { undelivered: true, error });
    const inFlight = [...this.pending.values()].some((entry) => entry.sent);
    this.announceLost(
      new RuntimeLostError(cause.message, {
        undelivered: !inFlight,
        ...(cause.status !== undefined ? { status: cause.status } : {}),
        cause: cause.cause,
      }),
    );
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.endInbound();
    // Cancelling the SDK's readable closes its connection at once (a queued write would
    // hold a writer.close()); it may wait on the server (an HTTP DELETE): bounded, never rethrown.
    const closing = this.sdk.then(({ reader }) => reader.cancel()).catch(() => undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([closing, new Promise((resolve) => (timer = setTimeout(resolve, this.closeTimeoutMs)))]);
    clearTimeout(timer);
  }
}

/** Headers as a plain record, as the SDK's transports take them. */
export function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

/**
 * Resolve after the event loop has polled for I/O at least once. In Node one `setImmediate`
 * is not enough: scheduled from an I/O callback, it runs before the next poll; the second
 * one runs after it.
 */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (!immediate) return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => immediate(() => immediate(resolve)));
}
