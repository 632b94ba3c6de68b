import type { DurableAgentError } from "../errors.js";
import { AbortedError, RuntimeTimeoutError } from "../transport/errors.js";

/** What a {@link Deadline} bounds: a time limit, the caller's signal, or both. */
export interface DeadlineOptions {
  /** Give up after this many ms. */
  timeoutMs?: number;
  /** Give up when this signal aborts. */
  signal?: AbortSignal;
  /** What is being waited for, for messages (e.g. `prompt of session "s1"`). */
  what: string;
}

/**
 * One caller's deadline across every step of an operation (restoring the session, the
 * request, storing its events): each step is raced against it, so the caller's wait ends on
 * time whatever the runtime, the network or the store does. Steps left behind go on in the
 * background and never reject unobserved.
 */
export class Deadline {
  /** Aborts when the deadline passes or the caller's signal aborts. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private reason: DurableAgentError | undefined;
  private readonly onAbort: (() => void) | undefined;

  constructor(private readonly options: DeadlineOptions) {
    this.signal = this.controller.signal;
    const { timeoutMs, signal } = options;
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => this.expire(new RuntimeTimeoutError(`${options.what} did not finish within ${timeoutMs} ms`)), timeoutMs);
    }
    if (signal) {
      if (signal.aborted) this.expire(this.aborted(signal));
      else {
        this.onAbort = () => this.expire(this.aborted(signal));
        signal.addEventListener("abort", this.onAbort, { once: true });
      }
    }
  }

  /** Whether the deadline has passed (or the caller aborted). */
  get expired(): boolean {
    return this.reason !== undefined;
  }

  /** The typed error the caller gets: `RuntimeTimeoutError` or `AbortedError`. Only once expired. */
  get error(): DurableAgentError | undefined {
    return this.reason;
  }

  /**
   * Wait for `step`, or reject at the deadline with its typed error (or with
   * `onExpire(error)` when given, to say what the caller missed).
   */
  race<T>(step: Promise<T>, onExpire?: (error: DurableAgentError) => DurableAgentError): Promise<T> {
    step.catch(() => undefined); // a step left behind must not reject unobserved
    if (this.reason) return Promise.reject(onExpire ? onExpire(this.reason) : this.reason);
    return new Promise<T>((resolve, reject) => {
      const expire = () => reject(onExpire ? onExpire(this.reason!) : this.reason!);
      this.signal.addEventListener("abort", expire, { once: true });
      step.then(
        (value) => {
          this.signal.removeEventListener("abort", expire);
          resolve(value);
        },
        (error: unknown) => {
          this.signal.removeEventListener("abort", expire);
          reject(error);
        },
      );
    });
  }

  /** Wait for `step` to settle, but no longer than the deadline; never rejects. */
  async settle(step: Promise<unknown>): Promise<void> {
    await this.race(step).catch(() => undefined);
  }

  /** Release the timer and the caller's signal. Call when the operation is over. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort) this.options.signal?.removeEventListener("abort", this.onAbort);
  }

  private aborted(signal: AbortSignal): AbortedError {
    return new AbortedError(`${this.options.what} was aborted`, { cause: signal.reason });
  }

  private expire(reason: DurableAgentError): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller.abort(reason);
  }
}
