import type { FoldSessionSummary } from "../../../src/session-store/types.js";
import { resolveOptions, type PostgresSessionPersistDriverOptions, type ResolvedOptions } from "../options.js";
import { DEFAULT_SCHEMA, DEFAULT_TABLE_PREFIX } from "../names.js";
import { sessionStoreNames, type SessionStoreNames } from "./names.js";

/**
 * Options of `PostgresSessionStore`: the driver's connection options (`connectionString` or
 * `pool`, `schema`, `tablePrefix`, with the same rules) and the summary fold.
 */
export interface PostgresSessionStoreOptions extends Omit<PostgresSessionPersistDriverOptions, "notify"> {
  /**
   * The fold that maintains session summaries inside `append`. Default: `foldSessionSummary`
   * of `@anthropic-ai/claude-agent-sdk`, imported on the first append to a main transcript.
   */
  foldSessionSummary?: FoldSessionSummary;
}

/** The options, checked, with their defaults applied. */
export interface ResolvedSessionStoreOptions {
  /** What opening the pool takes, as for the driver. */
  connection: ResolvedOptions;
  /** The store's table and index names. */
  names: SessionStoreNames;
  /** The fold given, if any. */
  fold: FoldSessionSummary | undefined;
}

/**
 * Check the options and apply the defaults; nothing is connected.
 * @throws PersistValidationError as the driver's options do, and for a prefix too long for the store's names.
 */
export function resolveSessionStoreOptions(options: PostgresSessionStoreOptions = {}): ResolvedSessionStoreOptions {
  const connection = resolveOptions({ ...options, notify: false });
  const names = sessionStoreNames(options.schema ?? DEFAULT_SCHEMA, options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  return { connection, names, fold: options.foldSessionSummary };
}
