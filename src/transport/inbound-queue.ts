import type { AnyMessage } from "@agentclientprotocol/sdk";
import { nextMacrotask } from "./macrotask.js";

/** Messages handed on per macrotask; between slices the event loop reads sockets. */
const SLICE = 64;

/**
 * The readable side of a channel, fed so that reading the runtime never waits on what is
 * done with each message (validation, listeners, the recorder). Messages are queued the
 * moment they are read and handed on in slices of {@link SLICE}, one slice per macrotask,
 * so the ACP connection's processing of a long burst cannot keep the socket unread.
 * Order is kept; nothing is dropped.
 */
export class InboundQueue {
  /** The stream the ACP connection reads. */
  readonly readable: ReadableStream<AnyMessage>;
  private controller!: ReadableStreamDefaultController<AnyMessage>;
  private readonly queue: AnyMessage[] = [];
  private head = 0;
  private scheduled = false;
  private closing = false;
  private done = false;

  constructor() {
    this.readable = new ReadableStream<AnyMessage>({
      start: (controller) => void (this.controller = controller),
      cancel: () => this.finish(),
    });
  }

  /** Messages read but not yet handed on. */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  /**
   * Queue one message. Accepted while closing (a request the channel answers with a failure
   * after its loss still gets that answer before the stream ends); ignored once closed.
   */
  push(message: AnyMessage): void {
    if (this.done) return;
    this.queue.push(message);
    this.schedule();
  }

  /** Close once every queued message was handed on. Idempotent. */
  close(): void {
    if (this.closing || this.done) return;
    this.closing = true;
    this.schedule();
  }

  /** Drop what is queued and close now (the connection is going away). */
  abort(): void {
    this.queue.length = 0;
    this.head = 0;
    this.finish();
  }

  private schedule(): void {
    if (this.scheduled || this.done) return;
    this.scheduled = true;
    nextMacrotask(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    if (this.done) return;
    const end = Math.min(this.queue.length, this.head + SLICE);
    try {
      for (; this.head < end; this.head++) this.controller.enqueue(this.queue[this.head]!);
    } catch {
      // The reader is gone: the ACP connection was closed.
      this.abort();
      return;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      if (this.closing) this.finish();
    } else {
      if (this.head > 4096) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.schedule();
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    try {
      this.controller.close();
    } catch {
      // already closed or errored
    }
  }
}
