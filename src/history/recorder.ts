import type { DurableAgentErrorCode } from "../error-codes.js";
import { DurableAgentError } from "../errors.js";
import { listLatestEventsVia } from "../persist/capabilities.js";
import { EventConflictError } from "../persist/errors.js";
import { toWellFormedJson } from "../persist/unicode.js";
import type { JsonRpcEnvelope, SessionEvent, SessionEventSender, SessionPersistDriver } from "../persist/types.js";
import { driverWritePort, type SessionWritePort } from "./write-port.js";
import type { RedactHook } from "../redaction/envelope.js";
import type { RedactionFailedError } from "../redaction/errors.js";
import type { StreamRedactor } from "../redaction/stream.js";

/**
 * Storing a session's events failed even after retries. The events are kept in memory
 * and written on the next attempt (the next flush or the next recorded event), so
 * nothing is lost while the process lives; the error says so and says why.
 */
export class PersistenceFailedError extends DurableAgentError {
  /** The session whose events could not be stored. */
  readonly sessionId: string;
  /** How many events are waiting to be stored. */
  readonly pendingEvents: number;

  constructor(sessionId: string, pendingEvents: number, cause: unknown) {
    super(
      "recorder.persist_failed",
      `Could not store ${pendingEvents} event(s) of session "${sessionId}": ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
    this.sessionId = sessionId;
    this.pendingEvents = pendingEvents;
  }
}

/**
 * A caller's deadline passed while the store was still writing the session's events (a
 * stalled or slow store). The events are not lost: they stay queued and are written when
 * the store answers. For a prompt, `response` holds what the agent answered: the turn
 * itself completed.
 */
export class PersistenceTimeoutError extends PersistenceFailedError {
  override readonly code: DurableAgentErrorCode = "recorder.persist_timeout";
  /** The agent's answer to the request whose events were being stored, when there was one. */
  readonly response: unknown;

  constructor(sessionId: string, pendingEvents: number, deadline: Error, response?: unknown) {
    super(sessionId, pendingEvents, deadline);
    this.message = `The store did not confirm ${pendingEvents} event(s) of session "${sessionId}" in time (${deadline.message}); they stay queued and are written when the store answers`;
    this.response = response;
  }
}

/** Options of a {@link SessionRecorder}. */
export interface SessionRecorderOptions {
  /** Where events go (and where the store's tail is read). */
  driver: SessionPersistDriver;
  /**
   * The way writes reach the driver (default: its own methods). A port that refuses a write
   * for good (its `refusal`) stops the retries: `flush()` rejects with the port's error and
   * `onError` is not called (the port's owner reports it).
   */
  writes?: SessionWritePort;
  /** Most events per write (default 500). */
  batchSize?: number;
  /** Attempts per write before the failure is reported (default 4). */
  attempts?: number;
  /** Delay before the first retry, doubled each time, in ms (default 20). */
  retryDelayMs?: number;
  /**
   * How long recorded events may wait to be written together, in ms (default 10). Events
   * of a turn then share a few writes instead of one each; `flush()` (which every prompt
   * awaits before resolving) writes at once, as does a full batch.
   */
  writeDelayMs?: number;
  /** Called with every event the moment it is recorded, before it is stored. */
  onEvent?: (event: SessionEvent) => void;
  /** Called when a write failed after every attempt. */
  onError?: (error: PersistenceFailedError) => void;
  /**
   * Applied to every event's payload before it is queued for the store; `onEvent` still gets
   * the original. When it throws, the event's content is withheld (see `withheldEnvelope`).
   * With a hook that has `findSecrets`, the chunks of a streamed message are held back until
   * the message ends (or `flush()`), so a secret cut over chunks is redacted whole.
   */
  redact?: RedactHook;
  /** Called when `redact` threw for an event (whose content was then withheld from the store). */
  onRedactionError?: (error: RedactionFailedError) => void;
}

/** What crossed the wire, to be recorded. */
export interface RecordInput {
  /** The connection it travelled on. */
  connectionId: string;
  /** Who sent it. */
  sender: SessionEventSender;
  /** The raw envelope. */
  payload: JsonRpcEnvelope;
}

/**
 * Records one session's envelopes as {@link SessionEvent}s: assigns `eventIndex`
 * (seeded from the store's tail, so it stays unique and gap-free across restarts and
 * across clients sharing a store), hands each event to listeners at once, and writes in
 * order, in batches, in the background. {@link SessionRecorder.flush} resolves once
 * everything recorded so far is stored.
 */
export class SessionRecorder {
  /** The session recorded. */
  readonly sessionId: string;
  private readonly driver: SessionPersistDriver;
  /** The port every write of the session goes through (events here, the record in the session). */
  readonly writes: SessionWritePort;
  private readonly batchSize: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly writeDelayMs: number;
  private writeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly onEvent: ((event: SessionEvent) => void) | undefined;
  private readonly onError: ((error: PersistenceFailedError) => void) | undefined;
  private readonly redact: RedactHook | undefined;
  private readonly onRedactionError: ((error: RedactionFailedError) => void) | undefined;
  /** Redacts events for the store (undefined without a `redact` hook); loaded by `ready()`. */
  private redactor: StreamRedactor | undefined;

  private nextIndex = -1;
  private seeding: Promise<void> | undefined;
  private readonly queue: SessionEvent[] = [];
  private draining: Promise<void> | undefined;
  private lastFailure: DurableAgentError | undefined;
  private abandoned = false;

  constructor(sessionId: string, options: SessionRecorderOptions) {
    this.sessionId = sessionId;
    this.driver = options.driver;
    this.writes = options.writes ?? driverWritePort(options.driver);
    this.batchSize = options.batchSize ?? 500;
    this.attempts = options.attempts ?? 4;
    this.retryDelayMs = options.retryDelayMs ?? 20;
    this.writeDelayMs = options.writeDelayMs ?? 10;
    this.onEvent = options.onEvent;
    this.onError = options.onError;
    this.redact = options.redact;
    this.onRedactionError = options.onRedactionError;
  }

  /** Read the last stored `eventIndex` (one tail read, never a scan). Call before recording. */
  ready(): Promise<void> {
    this.seeding ??= this.seed().catch((error: unknown) => {
      this.seeding = undefined;
      throw new PersistenceFailedError(this.sessionId, 0, error);
    });
    return this.seeding;
  }

  /** Whether {@link SessionRecorder.ready} has completed. */
  get isReady(): boolean {
    return this.nextIndex >= 0;
  }

  private async seed(): Promise<void> {
    const [[last], redactor] = await Promise.all([listLatestEventsVia(this.driver, this.sessionId, 1), this.loadRedactor()]);
    this.redactor ??= redactor;
    this.nextIndex = last ? last.eventIndex + 1 : 0;
  }

  /**
   * The stream redactor when there is a `redact` hook, loaded on first use (nothing is recorded
   * before `ready()`): an app without redaction never loads it.
   */
  private async loadRedactor(): Promise<StreamRedactor | undefined> {
    if (!this.redact || this.redactor) return undefined;
    const { StreamRedactor } = await import("../redaction/stream.js");
    const onRedactionError = this.onRedactionError;
    return new StreamRedactor(this.redact, (failure) => {
      try {
        onRedactionError?.(failure);
      } catch {
        // A failing error handler must not stop the recording.
      }
    });
  }

  /** Record an envelope: returns the event at once; storing happens in the background. */
  record(input: RecordInput): SessionEvent {
    if (!this.isReady) throw new Error(`SessionRecorder for "${this.sessionId}" used before ready()`);
    const event: SessionEvent = {
      id: crypto.randomUUID(),
      eventIndex: this.nextIndex++,
      sessionId: this.sessionId,
      createdAt: Date.now(),
      connectionId: input.connectionId,
      sender: input.sender,
      payload: input.payload,
    };
    if (this.abandoned) {
      // After abandon() (the client was disposed): listeners still see it; nothing is stored.
      this.onEvent?.(event);
      return event;
    }
    if (this.redactor) this.queue.push(...this.redactor.push(event));
    else this.queue.push(event);
    if (this.queue.length >= this.batchSize) this.kick();
    else this.writeTimer ??= setTimeout(() => this.kick(), this.writeDelayMs);
    this.onEvent?.(event);
    return event;
  }

  /** Queue the events the redactor holds back (the chunks of a message still streaming). */
  private releaseHeld(): void {
    if (this.redactor) this.queue.push(...this.redactor.release());
  }

  /** Events recorded but not yet stored. */
  get pending(): number {
    return this.queue.length + (this.redactor?.heldEvents.length ?? 0);
  }

  /** Copies of the events recorded but not yet stored, oldest first. */
  unstored(): SessionEvent[] {
    this.releaseHeld();
    return this.queue.map((event) => structuredClone(event));
  }

  /**
   * Stop storing: returns the events not yet stored (oldest first) and forgets them; events
   * recorded later reach listeners but are not stored. A write already running may still store some of
   * them, which is why storing them again must be (and is, in every driver) idempotent.
   */
  abandon(): SessionEvent[] {
    this.releaseHeld();
    this.abandoned = true;
    if (this.writeTimer !== undefined) clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    return this.queue.splice(0, this.queue.length);
  }

  /**
   * Resolve once every event recorded so far is stored; reject with
   * {@link PersistenceFailedError} when that failed after every attempt.
   */
  async flush(): Promise<void> {
    this.releaseHeld();
    this.lastFailure = undefined;
    this.kick();
    while (this.draining) await this.draining;
    if (this.queue.length > 0) {
      throw this.lastFailure ?? new PersistenceFailedError(this.sessionId, this.queue.length, "events still pending");
    }
  }

  private kick(): void {
    if (this.writeTimer !== undefined) {
      clearTimeout(this.writeTimer);
      this.writeTimer = undefined;
    }
    if (this.draining || this.queue.length === 0 || this.abandoned) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.abandoned) {
      const failure = await this.writeHead();
      if (failure) {
        this.lastFailure = failure;
        if (failure instanceof PersistenceFailedError) this.onError?.(failure);
        return;
      }
    }
  }

  /** Store the head of the queue (one batch) with retries; returns the failure, or undefined once stored. */
  private async writeHead(): Promise<DurableAgentError | undefined> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** (attempt - 1)));
      const batch = this.queue.slice(0, this.batchSize);
      try {
        await this.writes.insertEvents(this.sessionId, batch);
        if (this.abandoned) return undefined;
        this.queue.splice(0, batch.length);
        return undefined;
      } catch (error) {
        lastError = error;
        const refused = this.writes.refusal?.(error);
        if (refused) return refused;
        if (error instanceof EventConflictError && error.reason === "eventIndex") {
          // Another writer took these indexes: continue after the store's tail.
          await this.renumberAfterTail().catch((tailError: unknown) => (lastError = tailError));
          continue;
        }
        if (error instanceof DurableAgentError && error.code === "persist.invalid_input") {
          // An agent may send text no store can hold (a lone UTF-16 surrogate): store it with
          // U+FFFD in its place rather than block the session's history behind it.
          if (this.repairHead(batch.length)) continue;
          break;
        }
      }
    }
    return new PersistenceFailedError(this.sessionId, this.queue.length, lastError);
  }

  /** Make the first `count` queued events storable where only malformed Unicode stops them; whether any changed. */
  private repairHead(count: number): boolean {
    let changed = false;
    for (let i = 0; i < count && i < this.queue.length; i++) {
      const event = this.queue[i]!;
      const payload = toWellFormedJson(event.payload);
      if (payload !== event.payload) {
        this.queue[i] = { ...event, payload };
        changed = true;
      }
    }
    return changed;
  }

  /**
   * Move every unstored event after the store's last index, keeping their order. Events
   * a non-atomic driver stored before the conflict are found in the tail and dropped.
   */
  private async renumberAfterTail(): Promise<void> {
    const tail = await listLatestEventsVia(this.driver, this.sessionId, Math.min(this.queue.length + 1, 10_000));
    const stored = new Set(tail.map((event) => event.id));
    const unstored = this.queue.filter((event) => !stored.has(event.id));
    this.queue.splice(0, this.queue.length, ...unstored);
    let next = tail.length > 0 ? tail[tail.length - 1]!.eventIndex + 1 : 0;
    for (const event of [...this.queue, ...(this.redactor?.heldEvents ?? [])]) event.eventIndex = next++;
    this.nextIndex = next;
  }
}
