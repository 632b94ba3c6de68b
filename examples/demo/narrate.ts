// The demo's output: numbered steps with their duration, indented details, and a streamed
// reply printed as it arrives. Plain text; ANSI colours only on a terminal without NO_COLOR.
import { performance } from "node:perf_hooks";

const INDENT = "      ";

/** Where and how the narration is written. */
export interface NarratorOptions {
  /** Default `process.stdout`. */
  out?: NodeJS.WriteStream;
  /** Default: `out` is a TTY, `NO_COLOR` is unset and `TERM` is not `dumb`. */
  color?: boolean;
}

type Style = "bold" | "dim" | "green" | "red" | "cyan" | "yellow";
const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  green: [32, 39],
  red: [31, 39],
  cyan: [36, 39],
  yellow: [33, 39],
};

/** A step that failed: which one, and after how long. */
export class StepError extends Error {
  override readonly name = "StepError";
  constructor(
    /** The step's number. */
    readonly step: number,
    /** The step's title. */
    readonly title: string,
    /** The original failure. */
    override readonly cause: unknown,
  ) {
    super(`step ${step} (${title}) failed: ${describeError(cause)}`, { cause });
  }
}

/** Prints the demo's story. */
export class Narrator {
  private readonly out: NodeJS.WriteStream;
  private readonly color: boolean;
  private readonly started = performance.now();
  private stepCount = 0;
  private midLine = false;

  constructor(options: NarratorOptions = {}) {
    this.out = options.out ?? process.stdout;
    this.color = options.color ?? (this.out.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== "dumb");
  }

  /** Milliseconds since the narrator was created. */
  elapsed(): number {
    return performance.now() - this.started;
  }

  /** Wraps `text` in a style when colours are on. */
  style(style: Style, text: string): string {
    if (!this.color) return text;
    const [on, off] = CODES[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  }

  /** A plain line, not indented. */
  line(text = ""): void {
    this.endLine();
    this.out.write(`${text}\n`);
  }

  /** An indented detail line under the current step (multi-line text is indented throughout). */
  detail(text: string): void {
    this.endLine();
    for (const line of text.split("\n")) this.out.write(`${INDENT}${line}\n`);
  }

  /** Quoted lines (a transcript), each behind `| `. */
  quote(text: string): void {
    this.endLine();
    for (const line of text.split("\n")) this.out.write(`${INDENT}${this.style("dim", "|")} ${line}\n`);
  }

  /**
   * Runs one numbered step: prints its title, lets `body` print details, then its duration.
   * A failure is printed and rethrown as a {@link StepError}.
   */
  async step<T>(title: string, body: () => Promise<T>): Promise<T> {
    const n = ++this.stepCount;
    this.line();
    this.line(this.style("bold", `${String(n).padStart(2)}. ${title}`));
    const start = performance.now();
    try {
      const result = await body();
      this.detail(this.style("green", `done in ${ms(performance.now() - start)}`));
      return result;
    } catch (error) {
      this.detail(this.style("red", `failed after ${ms(performance.now() - start)}`));
      throw error instanceof StepError ? error : new StepError(n, title, error);
    }
  }

  /** Starts a streamed line (`label` then text as it arrives); end it with {@link Narrator.endLine}. */
  beginStream(label: string): StreamWriter {
    this.endLine();
    const prefix = `${INDENT}${label} `;
    const continuation = `\n${INDENT}${" ".repeat(label.length + 1)}`;
    this.out.write(prefix);
    this.midLine = true;
    return {
      write: (text: string) => {
        if (text === "") return;
        this.out.write(this.style("cyan", text.replace(/\n/g, continuation)));
      },
    };
  }

  /** Finishes a streamed line, if one is open. */
  endLine(): void {
    if (this.midLine) {
      this.out.write("\n");
      this.midLine = false;
    }
  }
}

/** Receives streamed text. */
export interface StreamWriter {
  /** Appends text to the open line. */
  write(text: string): void;
}

/** `1234.5` → `"1235 ms"`. */
export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

/** An error as one line: its name (when useful) and message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const name = error.name && error.name !== "Error" ? `${error.name}: ` : "";
    return `${name}${error.message}`;
  }
  return String(error);
}
