// The schema migration of a store: run on the first call, shared by every call made while
// it runs, done for good once it succeeds, tried again by the next call when it failed
// (the server was down, say).

/** An async step run at most once successfully. */
export class OnceReady {
  readonly #step: () => Promise<void>;
  #pending: Promise<void> | undefined;

  /** @param step what to run (e.g. the migration). */
  constructor(step: () => Promise<void>) {
    this.#step = step;
  }

  /** Resolves once the step has succeeded: starts it, joins the run in progress, or resolves at once. */
  ready(): Promise<void> {
    this.#pending ??= this.#step().catch((error: unknown) => {
      this.#pending = undefined;
      throw error;
    });
    return this.#pending;
  }

  /** Resolves when no run is in progress, whatever its outcome. */
  async settled(): Promise<void> {
    await this.#pending?.catch(() => undefined);
  }
}
