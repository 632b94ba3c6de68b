import type { Writable } from "node:stream";

// Where a command's results go: human text, or one JSON document for scripts (`--json`).
// Results go to stdout, messages and progress to stderr, so `--json` output always parses.

/** The output of one command run. */
export class Output {
  #result: Record<string, unknown> | undefined;

  constructor(
    /** `--json` was given. */
    readonly json: boolean,
    private readonly stdout: Writable = process.stdout,
    private readonly stderr: Writable = process.stderr,
  ) {}

  /** A line of human output (ignored in `--json` mode). */
  line(text = ""): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /**
   * The JSON result of the command (ignored in text mode). Written when the command ends, by
   * {@link Output.finish}, so a command that reports and then fails still prints one document.
   */
  result(value: Record<string, unknown>): void {
    if (this.json) this.#result = value;
  }

  /** Write the JSON result, with `error` in it when the command failed (`--json` mode only). */
  finish(error?: Record<string, unknown>): void {
    if (!this.json) return;
    if (this.#result === undefined && error === undefined) return;
    this.stdout.write(`${JSON.stringify(error === undefined ? this.#result : { ...this.#result, error })}\n`);
  }

  /** One raw line to stdout in any mode (exports, `tail --json` event lines). Resolves when it may continue (back-pressure). */
  async raw(text: string): Promise<void> {
    if (!this.stdout.write(`${text}\n`)) await new Promise<void>((resolve) => this.stdout.once("drain", resolve));
  }

  /** A message for the person at the terminal, on stderr (kept in `--json` mode too: it never mixes with results). */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** Whether a progress bar may be drawn: stderr is a terminal and the output is not for a script. */
  get interactive(): boolean {
    return !this.json && (this.stderr as NodeJS.WriteStream).isTTY === true;
  }
}
