import type { PreparedEntry, SessionSummaryEntry, SummaryFold } from "./types.js";

// A session's summary as the stores keep it: the `data` of the SDK's SessionSummaryEntry as
// JSON text on the main transcript's row, whose mtime is the summary's mtime (so it always
// equals the mtime `listSessions` reports for the session). The fold's `data` does not depend
// on the mtime it is given (the SDK's copies it into the summary's own `mtime` only), so a store
// may fold with an estimate of the time it is about to stamp.

/**
 * The summary data after folding `stored` (entries just stored, in order) into `previous`
 * (`undefined`: none yet), at `mtime` (epoch ms).
 */
export function foldSummaryData(
  summary: SummaryFold,
  previous: Record<string, unknown> | undefined,
  stored: readonly PreparedEntry[],
  mtime: number,
): Record<string, unknown> {
  const prev = previous === undefined ? undefined : { sessionId: summary.key.sessionId, mtime, data: previous };
  return summary.fold(prev, summary.key, stored.map((e) => e.entry), { mtime }).data;
}

/** {@link foldSummaryData} on summary data kept as JSON text (`null`: none yet); returns the new JSON text. */
export function foldSummaryJson(summary: SummaryFold, previous: string | null, stored: readonly PreparedEntry[], mtime: number): string {
  const data = previous === null ? undefined : (JSON.parse(previous) as Record<string, unknown>);
  return JSON.stringify(foldSummaryData(summary, data, stored, mtime));
}

/** A summary as the SDK expects it from `listSessionSummaries`, from what a row holds. */
export function summaryEntry(sessionId: string, mtime: number, data: string): SessionSummaryEntry {
  return { sessionId, mtime, data: JSON.parse(data) as Record<string, unknown> };
}
