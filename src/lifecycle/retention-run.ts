import { deleteSessionVia, driverCapabilities, listLatestEventsVia } from "../persist/capabilities.js";
import { UnsupportedCapabilityError } from "../persist/errors.js";
import { hasSessionActivity } from "../persist/activity.js";
import { hasEventTrim } from "../persist/trim.js";
import { MAX_PAGE_LIMIT, type SessionPersistDriver, type SessionRecord } from "../persist/types.js";
import { AbortedError } from "../transport/errors.js";
import { resolveRetentionPolicy, type RetentionPolicy } from "./retention-policy.js";
import type { ApplyRetentionOptions, DeletedSession, RetentionProgress, RetentionReport } from "./retention.js";
import { cutSession } from "./trim-cut.js";

// A retention run (see `applyRetention` in ./retention.ts, which loads this module on first use).

interface Candidate {
  record: SessionRecord;
  lastActivityAt: number;
  protected: boolean;
  /** The bounds of its events when the record was read (`null`: none); `first` unknown without the activity listing. */
  known: { first?: number; last: number } | null;
}

/** `applyRetention`'s run. */
export async function runRetention(
  driver: SessionPersistDriver,
  policy: RetentionPolicy,
  options: ApplyRetentionOptions,
): Promise<RetentionReport> {
  const resolved = resolveRetentionPolicy(policy);
  const started = performance.now();
  const now = options.now ?? Date.now();
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const dryRun = options.dryRun === true;
  const report: RetentionReport = {
    dryRun,
    scannedSessions: 0,
    protectedSessions: 0,
    deletedSessions: [],
    trimmedSessions: [],
    removedEvents: 0,
    skipped: [],
    durationMs: 0,
  };
  const checkAbort = (): void => {
    if (options.signal?.aborted) {
      throw new AbortedError(
        `Retention was aborted after ${report.deletedSessions.length} deletion(s) and ${report.trimmedSessions.length} trim(s)`,
        { cause: options.signal.reason },
      );
    }
  };
  const progress = (phase: RetentionProgress["phase"], done: number, total: number): void => options.onProgress?.({ phase, done, total });

  // 1. Records and last activity: one query per page where the driver lists activity, else a
  // tail read per session.
  const candidates: Candidate[] = [];
  const isProtected = (record: SessionRecord): boolean => options.skip?.(record.id) === true || resolved.keep?.(record) === true;
  let cursor: string | undefined;
  do {
    checkAbort();
    let found: Candidate[];
    if (hasSessionActivity(driver)) {
      const page = await driver.listSessionActivity({ cursor, limit: MAX_PAGE_LIMIT });
      found = page.items.map(({ record, firstEventIndex, lastEventIndex, lastEventAt }) => ({
        record,
        lastActivityAt: Math.max(record.createdAt, lastEventAt ?? 0),
        protected: isProtected(record),
        known: lastEventIndex === undefined ? null : { first: firstEventIndex, last: lastEventIndex },
      }));
      cursor = page.nextCursor;
    } else {
      const page = await driver.listSessions({ cursor, limit: MAX_PAGE_LIMIT });
      found = await inParallel(page.items, concurrency, async (record) => {
        const [last] = await listLatestEventsVia(driver, record.id, 1);
        return {
          record,
          lastActivityAt: Math.max(record.createdAt, last?.createdAt ?? 0),
          protected: isProtected(record),
          known: last === undefined ? null : { last: last.eventIndex },
        };
      });
      cursor = page.nextCursor;
    }
    candidates.push(...found);
    report.scannedSessions = candidates.length;
    progress("scan", candidates.length, candidates.length);
  } while (cursor);
  report.protectedSessions = candidates.filter((c) => c.protected).length;

  // 2. Whole sessions: too old, then too many (least recently active first).
  const doomed = new Map<string, DeletedSession>();
  if (resolved.maxAgeMs !== undefined) {
    const cutoff = now - resolved.maxAgeMs;
    for (const c of candidates) {
      if (!c.protected && c.lastActivityAt < cutoff) doomed.set(c.record.id, { id: c.record.id, rule: "maxAgeMs", lastActivityAt: c.lastActivityAt });
    }
  }
  if (resolved.maxSessions !== undefined) {
    let remaining = candidates.length - doomed.size;
    const oldestFirst = candidates
      .filter((c) => !c.protected && !doomed.has(c.record.id))
      .sort((a, b) => a.lastActivityAt - b.lastActivityAt || a.record.createdAt - b.record.createdAt || (a.record.id < b.record.id ? -1 : 1));
    for (const c of oldestFirst) {
      if (remaining <= resolved.maxSessions) break;
      doomed.set(c.record.id, { id: c.record.id, rule: "maxSessions", lastActivityAt: c.lastActivityAt });
      remaining--;
    }
  }
  const canDelete = driverCapabilities(driver).includes("deleteSession");
  const deletions = [...doomed.values()];
  let deleted = 0;
  await inParallel(deletions, concurrency, async (entry) => {
    checkAbort();
    if (!canDelete) {
      report.skipped.push({ id: entry.id, reason: "undeletable" });
      return;
    }
    if (!dryRun) await deleteSessionVia(driver, entry.id);
    report.deletedSessions.push(entry);
    progress("delete", ++deleted, deletions.length);
  });

  // 3. Trims of what is left.
  if (resolved.maxEventsPerSession !== undefined || resolved.maxBytesPerSession !== undefined) {
    const left = candidates.filter((c) => !c.protected && !doomed.has(c.record.id));
    const canTrim = hasEventTrim(driver);
    let trimmed = 0;
    await inParallel(left, concurrency, async (c) => {
      checkAbort();
      try {
        const trim = await cutSession(
          driver,
          c.record.id,
          { maxEvents: resolved.maxEventsPerSession, maxBytes: resolved.maxBytesPerSession },
          // Without the capability the trim is computed but never run: reported as untrimmable.
          { replay: resolved.replay, now, dryRun: dryRun || !canTrim, known: c.known },
        );
        if (trim !== undefined) {
          if (!canTrim) report.skipped.push({ id: c.record.id, reason: "untrimmable" });
          else {
            report.trimmedSessions.push(trim);
            report.removedEvents += trim.removedEvents;
          }
        }
      } catch (error) {
        if (!(error instanceof UnsupportedCapabilityError)) throw error;
        report.skipped.push({ id: c.record.id, reason: "untrimmable" });
      }
      progress("trim", ++trimmed, left.length);
    });
  }
  // Runs overlap: report in listing order, whatever order the stores answered in.
  const position = new Map(candidates.map((c, i) => [c.record.id, i]));
  const byPosition = (a: string, b: string): number => (position.get(a) ?? 0) - (position.get(b) ?? 0);
  report.deletedSessions.sort((a, b) => byPosition(a.id, b.id));
  report.trimmedSessions.sort((a, b) => byPosition(a.sessionId, b.sessionId));
  report.skipped.sort((a, b) => byPosition(a.id, b.id));
  report.durationMs = performance.now() - started;
  return report;
}

/** `work` over `items`, at most `limit` at a time; results in input order. The first failure rejects. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
