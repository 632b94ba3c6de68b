import type { SessionPersistDriver } from "../persist/types.js";
import { LifecycleInputError } from "./errors.js";
import { applyRetention, type RetentionReport } from "./retention.js";
import { resolveRetentionPolicy, type RetentionPolicy } from "./retention-policy.js";

/** Retention on a timer: the `retention` option of `SandboxAgent.connect`, or {@link RetentionScheduler} alone. */
export interface RetentionScheduleOptions {
  /** The policy applied at every run. */
  policy: RetentionPolicy;
  /** Time between the end of one run and the start of the next, in ms (at least 1000). */
  intervalMs: number;
  /** Run once right away instead of after the first interval (default `false`). */
  runOnStart?: boolean;
  /** Receives each run's report. */
  onReport?: (report: RetentionReport) => void;
}

/** Options of a standalone {@link RetentionScheduler}. */
export interface RetentionSchedulerOptions extends RetentionScheduleOptions {
  /** Sessions never touched (e.g. those live in a client). */
  skip?: (sessionId: string) => boolean;
  /** Receives a run's failure (the scheduler goes on with the next run). */
  onError?: (error: unknown) => void;
}

/** The smallest `intervalMs`. */
export const MIN_RETENTION_INTERVAL_MS = 1_000;

/** Check the schedule options. @throws LifecycleInputError naming every problem. */
export function checkRetentionSchedule(options: RetentionScheduleOptions): void {
  if (typeof options !== "object" || options === null) throw new LifecycleInputError("retention schedule", ["retention: must be an object"]);
  const problems: string[] = [];
  const { intervalMs } = options;
  if (typeof intervalMs !== "number" || !Number.isSafeInteger(intervalMs) || intervalMs < MIN_RETENTION_INTERVAL_MS) {
    problems.push(`retention.intervalMs: must be an integer of at least ${MIN_RETENTION_INTERVAL_MS}, got ${String(intervalMs)}`);
  }
  if (options.onReport !== undefined && typeof options.onReport !== "function") problems.push("retention.onReport: must be a function");
  try {
    resolveRetentionPolicy(options.policy);
  } catch (error) {
    if (!(error instanceof LifecycleInputError)) throw error;
    problems.push(...error.problems.map((p) => `retention.${p}`));
  }
  if (problems.length > 0) throw new LifecycleInputError("retention schedule", problems);
}

/**
 * Runs {@link applyRetention} every `intervalMs` (counted from the end of the previous run, so
 * runs never overlap). Its timer is unref'd: it never keeps a Node process alive. Stop it with
 * {@link RetentionScheduler.stop}, which waits for a run in progress.
 *
 * @example
 * const scheduler = new RetentionScheduler(driver, { policy: { maxAgeMs: 30 * 86_400_000 }, intervalMs: 3_600_000 });
 * // ...
 * await scheduler.stop();
 */
export class RetentionScheduler {
  readonly #driver: SessionPersistDriver;
  readonly #options: RetentionSchedulerOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<RetentionReport | undefined> | undefined;
  #stopped = false;
  #controller = new AbortController();

  /** @throws LifecycleInputError for unusable options (nothing is scheduled). */
  constructor(driver: SessionPersistDriver, options: RetentionSchedulerOptions) {
    checkRetentionSchedule(options);
    this.#driver = driver;
    this.#options = options;
    if (options.runOnStart) this.#schedule(0);
    else this.#schedule(options.intervalMs);
  }

  /** Whether {@link RetentionScheduler.stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Run now (or join the run in progress) and resolve its report; the next timed run is
   * counted from its end. Resolves `undefined` once stopped.
   */
  runNow(): Promise<RetentionReport | undefined> {
    if (this.#stopped) return Promise.resolve(undefined);
    if (this.#running) return this.#running;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const run = applyRetention(this.#driver, this.#options.policy, { skip: this.#options.skip, signal: this.#controller.signal })
      .then(
        (report) => {
          this.#options.onReport?.(report);
          return report;
        },
        (error: unknown) => {
          if (!this.#stopped) this.#options.onError?.(error);
          return undefined;
        },
      )
      .finally(() => {
        this.#running = undefined;
        if (!this.#stopped) this.#schedule(this.#options.intervalMs);
      });
    this.#running = run;
    return run;
  }

  /** Stop the timer; a run in progress is aborted between two sessions and awaited. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#controller.abort(new Error("retention scheduler stopped"));
    await this.#running;
  }

  #schedule(delayMs: number): void {
    const timer = setTimeout(() => void this.runNow(), delayMs);
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }
}

