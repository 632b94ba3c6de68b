import type { AnyMessage } from "@agentclientprotocol/sdk";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { RuntimeLostError, type ProblemDetails } from "./errors.js";
import { isConnectionRefused, readProblem, type HttpEndpoint } from "./http.js";

// Reading one sandbox-agent ACP instance's event stream (`GET /v1/acp/{id}`, SSE) so that
// nothing is lost silently. Observed on sandbox-agent 0.4: every message gets a sequence id
// (1, 2, 3...), the instance keeps its last 1024 messages, and a subscriber that falls 512
// messages behind the agent is skipped ahead without notice. So the reader:
// - reads as fast as the runtime writes: a frame is parsed and queued at once, never waiting
//   on what is done with it (see inbound-queue.ts);
// - checks every id: a message already seen is dropped; a jump ends the stream at once and
//   resumes it with `Last-Event-ID` from the last message seen, which the runtime answers from
//   its buffer (a healed gap);
// - when the resumed stream starts past the next id, the runtime no longer holds what was
//   skipped: that is reported as a loss, with the ids, never hidden.

/** The ids of messages the runtime's stream skipped and could not send again. */
export interface StreamGap {
  /** Stream id of the first missing message. */
  fromId: number;
  /** Stream id of the last missing message. */
  toId: number;
}

/** Counters of one event stream. */
export interface EventStreamStats {
  /** Streams re-opened with `Last-Event-ID` (after a gap or a broken stream). */
  reconnects: number;
  /** Gaps the runtime filled from its buffer. */
  gapsHealed: number;
  /** Gaps it could not fill. */
  gapsLost: number;
  /** Messages in the gaps it could not fill. */
  eventsLost: number;
}

/** What the reader reports to its channel. */
export interface EventStreamHandlers {
  /** The next message, in stream order, each exactly once. */
  message(message: AnyMessage): void;
  /** Messages were skipped and cannot be recovered; called before the message after them. */
  gap(gap: StreamGap): void;
  /** The stream cannot go on: the instance is gone, auth was refused, or it keeps breaking. */
  lost(error: RuntimeLostError): void;
}

/** Options of {@link SandboxAgentEventStream}. */
export interface EventStreamOptions {
  /** Reconnects tried after a network error before the stream counts as lost (default 3). */
  maxRetries?: number;
}

/** Whether a refusal means the instance is gone for good (see `isMissingInstance` in sandbox-agent.ts). */
export type MissingInstanceTest = (status: number, problem: ProblemDetails | undefined) => boolean;

/** One instance's event stream, read until {@link SandboxAgentEventStream.stop}. */
export class SandboxAgentEventStream {
  /** Counters since the stream started. */
  readonly stats: EventStreamStats = { reconnects: 0, gapsHealed: 0, gapsLost: 0, eventsLost: 0 };
  private lastId = 0;
  /** Set when a stream was opened with `Last-Event-ID`: its first id tells healed from lost. */
  private resuming = false;
  /** Set when a gap was seen: the current stream's remaining frames are ignored. */
  private resync = false;
  /** A gap asked for the current resume (so its first id heals it or proves a loss). */
  private healing = false;
  private stopped = false;
  private attempt: AbortController | undefined;

  constructor(
    private readonly endpoint: HttpEndpoint,
    private readonly path: string,
    private readonly connectionId: string,
    private readonly isMissingInstance: MissingInstanceTest,
    private readonly handlers: EventStreamHandlers,
    private readonly options: EventStreamOptions = {},
  ) {}

  /** Start reading in the background. */
  start(): void {
    void this.run();
  }

  /** Stop reading and abort the open request. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.attempt?.abort();
  }

  private async run(): Promise<void> {
    const maxRetries = this.options.maxRetries ?? 3;
    let failures = 0;
    while (!this.stopped) {
      const attempt = new AbortController();
      this.attempt = attempt;
      const resume = this.lastId > 0 || this.healing;
      let response: Response;
      try {
        response = await this.endpoint.send(this.path, {
          method: "GET",
          headers: { accept: "text/event-stream", ...(resume ? { "last-event-id": String(this.lastId) } : {}) },
          signal: attempt.signal,
        });
      } catch (error) {
        if (this.stopped) return;
        if (isConnectionRefused(error) || ++failures > maxRetries) {
          return this.lose(new RuntimeLostError(`The runtime at ${this.endpoint.baseUrl} went away: ${(error as Error).message}`, { cause: error }));
        }
        await backoff(failures);
        continue;
      }
      if (!response.ok) {
        const problem = await readProblem(response);
        if (this.stopped) return;
        const { status } = response;
        if (this.isMissingInstance(status, problem) || status === 401 || status === 403 || ++failures > maxRetries) {
          return this.lose(
            new RuntimeLostError(`The event stream of agent connection ${this.connectionId} is gone: HTTP ${status}${problem?.detail ? `: ${problem.detail}` : ""}`, {
              status,
              problem,
            }),
          );
        }
        await backoff(failures);
        continue;
      }
      if (resume) this.stats.reconnects++;
      this.resuming = resume;
      this.resync = false;
      const progressBefore = this.lastId;
      await this.read(response, attempt);
      if (this.stopped) return;
      if (this.resync) {
        this.healing = true; // a gap: resume at once, from the last message seen
        continue;
      }
      // The stream ended or broke: reconnect from the last message seen, after a pause unless it made progress.
      failures = this.lastId > progressBefore ? 1 : failures + 1;
      if (failures > maxRetries) {
        return this.lose(new RuntimeLostError(`The event stream of agent connection ${this.connectionId} keeps breaking`));
      }
      await backoff(failures);
    }
  }

  /** Read one response until it ends, breaks, or a gap asks for a resync. */
  private async read(response: Response, attempt: AbortController): Promise<void> {
    const body = response.body;
    if (!body) return;
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = createParser({ onEvent: (event) => this.frame(event) });
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.stopped) break;
        parser.feed(decoder.decode(value, { stream: true }));
        if (this.resync) break;
      }
    } catch {
      // The stream broke (or was aborted): the caller reconnects or stops.
    } finally {
      attempt.abort();
      void reader.cancel().catch(() => undefined);
    }
  }

  private frame(event: EventSourceMessage): void {
    if (this.resync || this.stopped) return;
    const id = event.id !== undefined && /^\d+$/.test(event.id) ? Number(event.id) : undefined;
    if (id !== undefined) {
      if (id <= this.lastId) return; // sent again after a resume: already delivered
      const expected = this.lastId + 1;
      if (id > expected) {
        if (!this.resuming) {
          // Skipped mid-stream: ask the runtime again from the last message seen.
          this.resync = true;
          return;
        }
        // The runtime's buffer starts past what we need: those messages are gone.
        this.stats.gapsLost++;
        this.stats.eventsLost += id - expected;
        this.handlers.gap({ fromId: expected, toId: id - 1 });
      } else if (this.healing) {
        this.stats.gapsHealed++;
      }
      this.resuming = false;
      this.healing = false;
      this.lastId = id;
    }
    if (!event.data) return;
    let message: AnyMessage;
    try {
      message = JSON.parse(event.data) as AnyMessage;
    } catch {
      return;
    }
    this.handlers.message(message);
  }

  private lose(error: RuntimeLostError): void {
    if (this.stopped) return;
    this.stopped = true;
    this.handlers.lost(error);
  }
}

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 1000)));
}
