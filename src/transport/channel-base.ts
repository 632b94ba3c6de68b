import type { AnyMessage } from "@agentclientprotocol/sdk";
import type { RequestHead } from "../protocol/envelopes.js";
import type { RuntimeLostError } from "./errors.js";
import { failureResponse, type TransportFailure } from "./failures.js";
import { InboundQueue } from "./inbound-queue.js";
import type { EventStreamStats } from "./sandbox-agent-events.js";
import type { MessageStream, TransportChannel } from "./types.js";

/**
 * What every channel shares: the inbound queue the ACP connection reads (see
 * inbound-queue.ts), the writable it writes through, the `lost` promise, the channel's
 * state, and answering a request that failed in transit with a synthetic response.
 * A transport supplies how a message is sent, how the far side is read, and `close`.
 */
export abstract class ChannelBase implements TransportChannel {
  readonly connectionId: string;
  readonly stream: MessageStream;
  readonly lost: Promise<RuntimeLostError>;
  /** `open` until the channel is lost or closed; never goes back. */
  protected state: "open" | "lost" | "closed" = "open";
  private readonly inbound = new InboundQueue();
  private resolveLost: ((error: RuntimeLostError) => void) | undefined;

  /** `write` is called with each message the ACP connection writes, in order; see `MessageStream`. */
  protected constructor(connectionId: string, write: (message: AnyMessage) => Promise<void> | void) {
    this.connectionId = connectionId;
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    this.stream = { readable: this.inbound.readable, writable: new WritableStream<AnyMessage>({ write }) };
  }

  /** Hand a message to the ACP connection (kept in order; dropped once closed). */
  protected deliver(message: AnyMessage): void {
    if (this.state === "closed") return;
    this.inbound.push(message);
  }

  /** Answer a request that failed in transit with a synthetic JSON-RPC error response. */
  protected fail(request: RequestHead, failure: TransportFailure): void {
    this.deliver(failureResponse(request.id, request.method, failure));
  }

  /** Resolve `lost` (once) and end the inbound stream after what is queued. */
  protected announceLost(error: RuntimeLostError): void {
    const resolve = this.resolveLost;
    this.resolveLost = undefined;
    this.inbound.close();
    resolve?.(error);
  }

  /** Drop what is queued and end the inbound stream (a deliberate close). */
  protected endInbound(): void {
    this.inbound.abort();
  }

  /** Counters of the event stream, for transports whose stream has message ids. */
  get stats(): EventStreamStats | undefined {
    return undefined;
  }

  abstract close(): Promise<void>;
}
