import { createParser } from "eventsource-parser";
import type { RuntimeHandle } from "./runtime.js";

/** One JSON-RPC message read from the runtime's SSE stream, with its SSE `id:`. */
export interface SseMessage {
  /** The SSE frame's `id:` (the runtime's per-instance sequence number, from "1"). */
  id: string | undefined;
  /** The parsed JSON-RPC message from the frame's `data:`. */
  message: Record<string, unknown>;
}

/** Answer of {@link RawAcp.post}: HTTP status plus the body (parsed JSON when there is one). */
export interface RawPostResult {
  status: number;
  contentType: string | null;
  body: unknown;
}

/** An open SSE subscription on one ACP server instance. */
export interface RawSse {
  /** Every message received so far, in order. */
  readonly messages: SseMessage[];
  /** SSE comment lines received (the runtime sends `: heartbeat`). */
  readonly comments: string[];
  /** Set when the stream ended or failed (the reader's error, or "ended"). */
  readonly closedReason: string | undefined;
  /** Resolves with the first received message matching `predicate` (including earlier ones). */
  waitFor(predicate: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** Aborts the request. */
  close(): void;
}

/**
 * A deliberately raw client of sandbox-agent's `/v1/acp/{serverId}` routes (fetch + SSE, no
 * retries, no recovery), for probing the runtime in tests. Not the SDK's transport.
 */
export class RawAcp {
  private nextId = 1;

  constructor(
    private readonly runtime: Pick<RuntimeHandle, "baseUrl" | "token">,
    /** The ACP server instance id used in `/v1/acp/{serverId}`. */
    readonly serverId: string,
  ) {}

  /** POSTs one JSON-RPC message; `agent` adds `?agent=` (required on the first POST). */
  async post(message: unknown, agent?: string): Promise<RawPostResult> {
    const query = agent === undefined ? "" : `?agent=${encodeURIComponent(agent)}`;
    const res = await fetch(`${this.runtime.baseUrl}/v1/acp/${encodeURIComponent(this.serverId)}${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.runtime.token}`, "content-type": "application/json" },
      body: JSON.stringify(message),
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get("content-type"), body: text === "" ? undefined : JSON.parse(text) };
  }

  /** Sends a JSON-RPC request with a fresh numeric id and returns the HTTP answer. */
  request(method: string, params: unknown, agent?: string): Promise<RawPostResult> {
    return this.post({ jsonrpc: "2.0", id: this.nextId++, method, params }, agent);
  }

  /** Opens `GET /v1/acp/{serverId}` as SSE, optionally resuming after `lastEventId`. */
  async subscribe(lastEventId?: string): Promise<RawSse> {
    const abort = new AbortController();
    const res = await fetch(`${this.runtime.baseUrl}/v1/acp/${encodeURIComponent(this.serverId)}`, {
      headers: {
        authorization: `Bearer ${this.runtime.token}`,
        accept: "text/event-stream",
        ...(lastEventId === undefined ? {} : { "last-event-id": lastEventId }),
      },
      signal: abort.signal,
    });
    if (res.status !== 200 || res.body === null) {
      throw new Error(`SSE subscribe answered ${res.status}: ${await res.text()}`);
    }
    const messages: SseMessage[] = [];
    const comments: string[] = [];
    const waiters = new Set<() => void>();
    let closedReason: string | undefined;
    const parser = createParser({
      onEvent: (event) => {
        messages.push({ id: event.id, message: JSON.parse(event.data) as Record<string, unknown> });
        for (const wake of waiters) wake();
      },
      onComment: (comment) => comments.push(comment),
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
        closedReason = "ended";
      } catch (error) {
        closedReason = String(error);
      }
      for (const wake of waiters) wake();
    })();
    return {
      messages,
      comments,
      get closedReason() {
        return closedReason;
      },
      waitFor(predicate, timeoutMs = 10_000) {
        return new Promise((resolve, reject) => {
          const check = (): void => {
            const found = messages.find(predicate);
            if (found !== undefined) finish(() => resolve(found));
            else if (closedReason !== undefined) finish(() => reject(new Error(`SSE closed: ${closedReason}`)));
          };
          const timer = setTimeout(() => finish(() => reject(new Error("SSE waitFor timed out"))), timeoutMs);
          const finish = (settle: () => void): void => {
            clearTimeout(timer);
            waiters.delete(check);
            settle();
          };
          waiters.add(check);
          check();
        });
      },
      close: () => abort.abort(),
    };
  }
}
