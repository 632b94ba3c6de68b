import { EXIT, type ExitCode } from "./exit-codes.js";

// The CLI's own failures. They never leave the process (the CLI is not a library), so they
// carry an exit code and a short machine-readable kind for `--json` output rather than a
// DurableAgentError code.

/** Machine-readable kinds of {@link CliError}, printed as `code` in `--json` error output. */
export type CliErrorCode =
  | "cli.usage"
  | "cli.bad_store_url"
  | "cli.store_unavailable"
  | "cli.not_found"
  | "cli.bad_import"
  | "cli.conflict"
  | "cli.check_failed"
  | "cli.interrupted"
  | "cli.agent_state_unsupported";

/** A failure the CLI reports with a message and ends with {@link CliError.exitCode}. */
export class CliError extends Error {
  /** The kind, for scripts. */
  readonly code: CliErrorCode;
  /** The process exit code this failure ends with. */
  readonly exitCode: ExitCode;

  constructor(code: CliErrorCode, exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CliError";
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A bad command line (exit 2). */
export const usageError = (message: string) => new CliError("cli.usage", EXIT.usage, message);

/** A session named on the command line that the store does not hold (exit 4). */
export const notFoundError = (store: string, id: string) =>
  new CliError("cli.not_found", EXIT.notFound, `no session "${id}" in ${store}`);
