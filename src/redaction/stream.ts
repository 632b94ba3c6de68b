import type { JsonRpcEnvelope, SessionEvent } from "../persist/types.js";
import { redactEvent, withheldEnvelope, type RedactHook } from "./envelope.js";
import { RedactionFailedError } from "./errors.js";

// Agents stream their answers as many `session/update` message chunks, and a secret is
// easily cut in two by a chunk boundary (real agents stream a few characters per chunk): no
// pattern matches either half. So, with a hook that can find secrets in a text, the chunks of
// one streamed message are held back and redacted as one text before they are stored: a
// secret over chunks i..j has its replacement in chunk i and is cut from the chunks after it.
// Every chunk is still stored as its own event (indexes, ids and order unchanged).

/** Chunk kinds whose text is one stream. */
const STREAMED = new Set(["agent_message_chunk", "agent_thought_chunk", "user_message_chunk"]);

/** Held text (in UTF-16 code units) above which the oldest chunks are released. */
const HOLD_HIGH = 8192;
/** What stays held after such a release, so a secret across the release point is still seen whole. */
const HOLD_OVERLAP = 1024;
/** Text of released chunks kept as context for look-behind labels ("Bearer ", "aws_secret_access_key="). */
const CONTEXT = 256;

interface Chunk {
  event: SessionEvent;
  /** The chunk's text as it will be stored, less what an earlier release already cut from it. */
  text: string;
}

type Finder = NonNullable<RedactHook["findSecrets"]>;

/** The stream a chunk event belongs to (its sender, session and update kind), or `undefined` when it is no text chunk. */
function streamOf(event: SessionEvent): string | undefined {
  const params = (event.payload as { method?: unknown; params?: { sessionId?: unknown; update?: { sessionUpdate?: unknown; content?: { type?: unknown; text?: unknown } } } });
  if (params.method !== "session/update") return undefined;
  const update = params.params?.update;
  if (typeof update?.sessionUpdate !== "string" || !STREAMED.has(update.sessionUpdate)) return undefined;
  if (update.content?.type !== "text" || typeof update.content.text !== "string") return undefined;
  return JSON.stringify([event.sender, params.params?.sessionId, update.sessionUpdate]);
}

function withText(event: SessionEvent, text: string): SessionEvent {
  const payload = event.payload as unknown as { params: { update: { content: Record<string, unknown> } & Record<string, unknown> } & Record<string, unknown> };
  return {
    ...event,
    payload: {
      ...payload,
      params: { ...payload.params, update: { ...payload.params.update, content: { ...payload.params.update.content, text } } },
    } as unknown as JsonRpcEnvelope,
  };
}

/**
 * Redacts one session's events for storage, holding back the chunks of a streamed message
 * until the message ends (another kind of event, `release()`), or in part once much text is held.
 */
export class StreamRedactor {
  private held: Chunk[] = [];
  private stream: string | undefined;
  private context = "";
  private heldChars = 0;

  constructor(
    private readonly redact: RedactHook,
    private readonly onFailure: (error: RedactionFailedError) => void,
  ) {}

  /** Events held back, oldest first (the recorder renumbers them with its queue). */
  get heldEvents(): readonly SessionEvent[] {
    return this.held.map((chunk) => chunk.event);
  }

  /** Take in a recorded event; returns the events now ready to store, redacted, in order. */
  push(event: SessionEvent): SessionEvent[] {
    const finder = this.redact.findSecrets;
    const stream = finder ? streamOf(event) : undefined;
    if (stream === undefined) return [...this.release(), this.one(event)];
    const out = stream === this.stream ? [] : this.release();
    this.stream = stream;
    const text = (event.payload as unknown as { params: { update: { content: { text: string } } } }).params.update.content.text;
    this.held.push({ event, text });
    this.heldChars += text.length;
    if (this.heldChars > HOLD_HIGH) out.push(...this.releaseUpTo(finder!, false));
    return out;
  }

  /** Every held event, redacted: the streamed message is taken as ended. */
  release(): SessionEvent[] {
    if (this.held.length === 0) return [];
    const out = this.releaseUpTo(this.redact.findSecrets!, true);
    this.stream = undefined;
    this.context = "";
    return out;
  }

  /** Release the first `count` held chunks with their content withheld, each failure reported. */
  private withholdUpTo(count: number, cause: unknown): SessionEvent[] {
    const released = this.held.slice(0, count);
    this.held = this.held.slice(count);
    this.heldChars = this.held.reduce((sum, chunk) => sum + chunk.text.length, 0);
    this.context = "";
    return released.map(({ event }) => {
      this.onFailure(new RedactionFailedError(event.sessionId, event.id, event.eventIndex, cause));
      return { ...event, payload: withheldEnvelope(event.payload) };
    });
  }

  private one(event: SessionEvent): SessionEvent {
    const { event: stored, failure } = redactEvent(event, this.redact);
    if (failure) this.onFailure(failure);
    return stored;
  }

  /** Release the held chunks (all of them when `all`, else all but the last HOLD_OVERLAP characters' worth). */
  private releaseUpTo(findSecrets: Finder, all: boolean): SessionEvent[] {
    let count = this.held.length;
    if (!all) {
      let kept = 0;
      while (count > 0 && kept < HOLD_OVERLAP) kept += this.held[--count]!.text.length;
      if (count === 0) return [];
    }
    const starts: number[] = [];
    let joined = this.context;
    for (const chunk of this.held) {
      starts.push(joined.length);
      joined += chunk.text;
    }
    const releasedEnd = count < this.held.length ? starts[count]! : joined.length;
    let matches: readonly { start: number; end: number; replacement: string }[];
    try {
      matches = findSecrets(joined);
    } catch (cause) {
      // Nothing can say where a secret cut over these chunks is: none of them is stored in clear.
      return this.withholdUpTo(count, cause);
    }
    const texts = this.held.map((chunk) => chunk.text);
    // Edits from the last match backwards keep the earlier offsets valid.
    for (const match of [...matches].reverse()) {
      if (match.start < this.context.length || match.start >= releasedEnd) continue;
      for (let i = this.held.length - 1; i >= 0; i--) {
        const from = Math.max(match.start, starts[i]!);
        const to = Math.min(match.end, starts[i]! + this.held[i]!.text.length);
        if (from >= to) continue;
        const local = from - starts[i]!;
        texts[i] = texts[i]!.slice(0, local) + (from === match.start ? match.replacement : "") + texts[i]!.slice(local + (to - from));
      }
    }
    const released = this.held.slice(0, count);
    this.held = this.held.slice(count).map((chunk, i) => ({ event: chunk.event, text: texts[count + i]! }));
    this.heldChars = this.held.reduce((sum, chunk) => sum + chunk.text.length, 0);
    this.context = (this.context + texts.slice(0, count).join("")).slice(-CONTEXT);
    return released.map((chunk, i) => this.one(withText(chunk.event, texts[i]!)));
  }
}
