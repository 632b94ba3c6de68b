import type { FoldSessionSummary } from "../../../src/session-store/types.js";
import { resolveOptions, type ResolvedOptions, type SQLiteSessionPersistDriverOptions } from "../options.js";
import { sessionStoreNames, type SessionStoreNames } from "./names.js";

/**
 * Options of `SQLiteSessionStore`: the driver's (a `filename` or an open `database`,
 * `tablePrefix`, `synchronous`, `busyTimeoutMs`, with the same rules), and the summary fold.
 */
export type SQLiteSessionStoreOptions = SQLiteSessionPersistDriverOptions & {
  /**
   * The fold that maintains session summaries inside `append`. Default: `foldSessionSummary`
   * of `@anthropic-ai/claude-agent-sdk`, imported on the first append to a main transcript.
   * Give it to load the SDK eagerly (`import { foldSessionSummary } from "@anthropic-ai/claude-agent-sdk"`).
   */
  foldSessionSummary?: FoldSessionSummary;
};

/** The options, checked, with their defaults applied. */
export interface ResolvedSessionStoreOptions {
  /** What opening the database takes, as for the driver. */
  connection: ResolvedOptions;
  /** The store's table and index names. */
  names: SessionStoreNames;
  /** The fold given, if any. */
  fold: FoldSessionSummary | undefined;
}

/**
 * Check the options and apply the defaults, before anything is opened.
 * @throws PersistValidationError naming the first bad option.
 */
export function resolveSessionStoreOptions(options: SQLiteSessionStoreOptions): ResolvedSessionStoreOptions {
  const connection = resolveOptions(options);
  return { connection, names: sessionStoreNames(connection.names.prefix), fold: options.foldSessionSummary };
}
