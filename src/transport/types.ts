import type { AnyMessage } from "@agentclientprotocol/sdk";
import type { RuntimeLostError } from "./errors.js";
import type { EventStreamStats } from "./sandbox-agent-events.js";

/** A bidirectional stream of JSON-RPC messages, as `@agentclientprotocol/sdk` connections consume it. */
export interface MessageStream {
  /** Messages from the client to the agent. */
  writable: WritableStream<AnyMessage>;
  /** Messages from the agent to the client. */
  readable: ReadableStream<AnyMessage>;
}

/**
 * One live connection to one agent on a runtime. The ACP connection runs on top of its
 * {@link MessageStream}; the channel reports loss instead of failing silently.
 */
export interface TransportChannel {
  /** Id of this connection, recorded on every event as `connectionId`. */
  readonly connectionId: string;
  /** The message stream the ACP connection runs on. */
  readonly stream: MessageStream;
  /**
   * Resolves (never rejects) with the reason once the channel is lost: the runtime
   * restarted or died, the agent instance vanished, the event stream could not be resumed.
   * Stays pending after a deliberate {@link TransportChannel.close}.
   */
  readonly lost: Promise<RuntimeLostError>;
  /** Counters of the event stream (reconnects, gaps healed and lost), for transports whose stream has message ids. */
  readonly stats?: EventStreamStats;
  /** Close deliberately. Never hangs on a slow runtime. Idempotent. */
  close(): Promise<void>;
}

/**
 * A kind of runtime the client can talk to. Sessions, the recorder and the replay see
 * only this interface, so a new runtime kind is one new implementation of it.
 */
export interface RuntimeTransport {
  /** Short name of the transport, e.g. `"sandbox-agent"`. */
  readonly kind: string;
  /** Where the runtime is, for messages. */
  readonly target: string;
  /** Open a channel to `agent`. The first message written (ACP `initialize`) bootstraps it. */
  open(agent: string): TransportChannel;
  /** Resolve when the runtime is reachable and healthy; throw a typed error otherwise. */
  checkHealth(signal?: AbortSignal): Promise<void>;
}
