import { PersistValidationError, type ValidationIssue } from "../errors.js";

/** Options of `InMemorySessionPersistDriver`. */
export interface InMemorySessionPersistDriverOptions {
  /** The most sessions kept; over it the least recently written session is evicted. Default 1024. */
  maxSessions?: number;
  /** The most events kept per session; over it the session's oldest events are dropped. Default 500. */
  maxEventsPerSession?: number;
}

/** The options with their defaults applied. */
export type ResolvedOptions = Required<InMemorySessionPersistDriverOptions>;

function positiveInteger(value: unknown, fallback: number, path: string, issues: ValidationIssue[]): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    issues.push({ path, message: "must be a positive integer" });
    return fallback;
  }
  return value;
}

/**
 * Validate the options and apply the defaults.
 * @throws PersistValidationError naming every option that is not a positive integer.
 */
export function resolveOptions(options: InMemorySessionPersistDriverOptions = {}): ResolvedOptions {
  const issues: ValidationIssue[] = [];
  const resolved = {
    maxSessions: positiveInteger(options.maxSessions, 1024, "options.maxSessions", issues),
    maxEventsPerSession: positiveInteger(options.maxEventsPerSession, 500, "options.maxEventsPerSession", issues),
  };
  if (issues.length > 0) throw new PersistValidationError("in-memory driver options", issues);
  return resolved;
}
