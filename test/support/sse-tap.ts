// A lossy proxy for tests, as a `fetch` wrapper: it sits between the SDK and the
// sandbox-agent runtime and drops chosen SSE frames of the `GET /v1/acp/{id}` event streams,
// passing everything else through untouched. It records every stream it opened and the id
// of every frame it passed or dropped.
import { SseFrameSplitter, parseSseFrame } from "./sse-frames.js";

/** A frame offered to {@link SseTapOptions.drop}. */
export interface SseTapFrame {
  /** The frame's `id:` field, as a number. */
  id: number;
  /** The frame's data (its `data:` lines joined with `\n`). */
  data: string;
  /** Which event stream it came on: 0 for the first one opened through this tap, 1 for the next... */
  streamIndex: number;
}

/** Options of {@link sseTap}. */
export interface SseTapOptions {
  /** Whether to drop this frame (the client never sees it). Default: drop nothing. */
  drop?: (frame: SseTapFrame) => boolean;
  /** The `fetch` to forward to. Default: the global one. */
  fetch?: typeof fetch;
}

/** One event stream opened through the tap. */
export interface TappedStream {
  /** Its position in {@link SseTap.streams}, the `streamIndex` of its frames. */
  index: number;
  /** The URL requested. */
  url: string;
  /** The request's `last-event-id` header, if it had one. */
  lastEventId: string | undefined;
  /** Ids of the frames passed on this stream, in order. */
  passed: number[];
  /** Ids of the frames dropped on this stream, in order. */
  dropped: number[];
}

/** What {@link sseTap} returns. */
export interface SseTap {
  /** The wrapper to hand to the SDK (`SandboxAgent.connect({ fetch })`). */
  fetch: typeof fetch;
  /** Every event stream opened so far (successful `GET /v1/acp/{id}` with `accept: text/event-stream`). */
  streams: TappedStream[];
  /** Ids of every frame passed, across streams, in order. */
  passed: number[];
  /** Ids of every frame dropped, across streams, in order. */
  dropped: number[];
}

const EVENT_STREAM_PATH = /^\/v1\/acp\/[^/]+\/?$/;

/** Method, URL and headers of a fetch call, whichever form its arguments take. */
function describeCall(input: RequestInfo | URL, init: RequestInit | undefined) {
  const request = input instanceof Request ? input : undefined;
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
  const headers = new Headers(init?.headers ?? request?.headers);
  return { url, method, headers };
}

/** Whether a call opens an ACP event stream of the sandbox-agent runtime. */
function isEventStreamCall(call: ReturnType<typeof describeCall>): boolean {
  return (
    call.method === "GET" &&
    (call.headers.get("accept") ?? "").includes("text/event-stream") &&
    EVENT_STREAM_PATH.test(new URL(call.url, "http://localhost").pathname)
  );
}

/**
 * A `fetch` that drops the SSE frames `options.drop` chooses from the runtime's ACP event
 * streams. Frames without a numeric id, comments (`: heartbeat`) and every other request
 * pass through untouched.
 */
export function sseTap(options: SseTapOptions = {}): SseTap {
  const inner: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const streams: TappedStream[] = [];
  const passed: number[] = [];
  const dropped: number[] = [];

  const filter = (stream: TappedStream, body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> => {
    const reader = body.getReader();
    const splitter = new SseFrameSplitter();
    const encoder = new TextEncoder();
    /** Enqueues the frame unless dropped; returns whether it did. */
    const forward = (controller: ReadableStreamDefaultController<Uint8Array>, raw: string): boolean => {
      const { id, data } = parseSseFrame(raw);
      const numeric = id !== undefined && /^\d+$/.test(id) ? Number(id) : undefined;
      if (numeric !== undefined) {
        const drop = options.drop?.({ id: numeric, data, streamIndex: stream.index }) ?? false;
        (drop ? stream.dropped : stream.passed).push(numeric);
        (drop ? dropped : passed).push(numeric);
        if (drop) return false;
      }
      controller.enqueue(encoder.encode(raw));
      return true;
    };
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        // Read until something was enqueued or the stream ended: a pull that enqueues nothing
        // is not called again, and the client's read would wait forever.
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            const { frames, tail } = splitter.end();
            for (const raw of frames) forward(controller, raw);
            // An unterminated last frame is never dispatched by an SSE parser: pass it as is.
            if (tail !== "") controller.enqueue(encoder.encode(tail));
            controller.close();
            return;
          }
          let enqueued = false;
          for (const raw of splitter.push(value)) enqueued = forward(controller, raw) || enqueued;
          if (enqueued) return;
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
  };

  const tapFetch: typeof fetch = async (input, init) => {
    const call = describeCall(input, init);
    const response = await inner(input, init);
    if (!isEventStreamCall(call) || !response.ok || response.body === null) return response;
    const stream: TappedStream = {
      index: streams.length,
      url: call.url,
      lastEventId: call.headers.get("last-event-id") ?? undefined,
      passed: [],
      dropped: [],
    };
    streams.push(stream);
    return new Response(filter(stream, response.body), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  return { fetch: tapFetch, streams, passed, dropped };
}
