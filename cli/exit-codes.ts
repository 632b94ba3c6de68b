// The process exit codes of the `durable-agent` CLI (documented in docs/cli.md). Scripts
// branch on them, so a code is only ever added, never renumbered.

/** Every exit code the CLI uses, by meaning. */
export const EXIT = {
  /** The command did what was asked (for `verify`: the store is sound). */
  ok: 0,
  /** A check found a problem: `verify` found a gap or bad data, `migrate` found a mismatch after copying. */
  checkFailed: 1,
  /** The command line was wrong: unknown command or option, bad value, bad or unsupported store URL. */
  usage: 2,
  /** The store could not be reached or opened (server down, missing file or directory, newer schema, locked). */
  storeUnavailable: 3,
  /** A session named on the command line is not in the store. */
  notFound: 4,
  /** Data was refused: a malformed import line, or a record or event that conflicts with what the target holds (nothing of it was written). */
  dataRefused: 5,
  /** Interrupted (SIGINT/SIGTERM) before the end: what was written is complete, run the command again to continue. */
  interrupted: 130,
  /** A failure the CLI did not expect (a bug, or an error of the store it cannot classify). */
  internal: 70,
} as const;

/** One of the {@link EXIT} codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
