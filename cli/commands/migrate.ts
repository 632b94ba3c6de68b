import type { SessionRecord } from "../../src/persist/types.js";
import type { CommandContext } from "../context.js";
import { putEvents, putRecord, SessionConflict } from "../copy.js";
import { CliError, usageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { recordText, SessionChecksum } from "../export-format.js";
import { openStore, type OpenStore, type StoreDriver } from "../open-store.js";
import { progressFor, type Progress } from "../progress.js";
import { parseStoreUrl } from "../store-url.js";
import { allSessions, eventPages, lastEventIndex } from "../walk.js";

/** Options of `migrate`. */
export interface MigrateOptions {
  /** Compare every session of both stores at the end (default on). */
  verify: boolean;
  /** Replace a target record that differs from the source's (the source changed since an earlier run) instead of refusing the session. */
  updateRecords: boolean;
}

/** A session whose copy differs from its source after the migration. */
export interface Mismatch {
  /** The session. */
  sessionId: string;
  /** What differs. */
  detail: string;
}

/**
 * `migrate <from> <to>`: copy every session from one store to another. Resumable: each
 * session continues after the highest `eventIndex` the target already holds (batches are
 * atomic, so the target holds a prefix), records already there are left alone, and the
 * drivers' idempotent inserts mean nothing is ever doubled; run it again after an
 * interruption, even a SIGKILL. Verified at the end: per session the record, the event
 * count and a SHA-256 over the canonical events must match (a mismatch exits 1).
 */
export async function migrateCommand(fromUrl: string, toUrl: string, options: MigrateOptions, ctx: CommandContext): Promise<void> {
  const { out } = ctx;
  const from = parseStoreUrl(fromUrl);
  const to = parseStoreUrl(toUrl);
  if (from.display === to.display) throw usageError(`source and target are the same store (${from.display})`);
  const source = await openStore(from, "read");
  let target: OpenStore | undefined;
  const progress = progressFor(out);
  try {
    target = await openStore(to, "write");
    const records: SessionRecord[] = [];
    for await (const record of allSessions(source.driver)) records.push(record);
    const began = performance.now();
    progress.start(records.length, "copy");
    const copied = await copyAll(source.driver, target.driver, records, options.updateRecords, progress, ctx);
    progress.stop();
    const copyMs = performance.now() - began;
    const conflicted = new Set(copied.conflicts.map((c) => c.sessionId));
    let verified: { sessions: number; events: number; mismatches: Mismatch[]; ms: number } | undefined;
    if (options.verify) {
      const start = performance.now();
      progress.start(records.length, "verify");
      const checked = records.filter((r) => !conflicted.has(r.id));
      const result = await verifyAll(source.driver, target.driver, checked, progress, ctx);
      progress.stop();
      verified = { ...result, ms: performance.now() - start };
    }
    const summary = {
      from: source.display,
      to: target.display,
      sessions: records.length,
      events: { copied: copied.copied, alreadyThere: copied.alreadyThere },
      recordsReplaced: copied.replaced,
      copyMs: Math.round(copyMs),
      eventsPerSecond: copyMs > 0 ? Math.round(copied.copied / (copyMs / 1000)) : 0,
      conflicts: copied.conflicts.map((c) => ({ sessionId: c.sessionId, detail: c.detail })),
      ...(verified ? { verify: { ...verified, ms: Math.round(verified.ms) } } : {}),
    };
    out.result(summary);
    out.line(
      `copied ${copied.copied} event(s) of ${records.length} session(s) from ${source.display} to ${target.display} ` +
        `in ${(copyMs / 1000).toFixed(1)} s (${summary.eventsPerSecond} events/s); ${copied.alreadyThere} were already there`,
    );
    if (copied.replaced.length > 0) out.line(`replaced ${copied.replaced.length} record(s) that differed in the target: ${copied.replaced.join(", ")}`);
    if (verified) {
      out.line(
        verified.mismatches.length === 0
          ? `verified: ${verified.sessions} session(s), ${verified.events} event(s) identical in both stores (counts and SHA-256)`
          : `VERIFY FAILED: ${verified.mismatches.length} session(s) differ`,
      );
      for (const m of verified.mismatches) out.line(`  ${m.sessionId}: ${m.detail}`);
    }
    if (copied.conflicts.length > 0) {
      for (const c of copied.conflicts) out.line(`  conflict: ${c.message}`);
      throw new CliError(
        "cli.conflict",
        EXIT.dataRefused,
        `${copied.conflicts.length} session(s) conflict with ${target.display} and were not copied (--update-records replaces records that differ)`,
      );
    }
    if (verified && verified.mismatches.length > 0) {
      throw new CliError("cli.check_failed", EXIT.checkFailed, `verification failed: ${verified.mismatches.length} session(s) differ between ${source.display} and ${target.display}`);
    }
  } finally {
    progress.stop();
    await source.close().catch(() => undefined);
    await target?.close().catch(() => undefined);
  }
}

/** Copy every session's record and the events the target lacks. */
async function copyAll(source: StoreDriver, target: StoreDriver, records: SessionRecord[], updateRecords: boolean, progress: Progress, { signal }: CommandContext) {
  let copied = 0;
  const replaced: string[] = [];
  let alreadyThere = 0;
  const conflicts: SessionConflict[] = [];
  for (const record of records) {
    try {
      if ((await putRecord(target, record, updateRecords)) === "replaced") replaced.push(record.id);
      const highWater = await lastEventIndex(target, record.id);
      alreadyThere += highWater + 1;
      const pages = eventPages(source, record.id, highWater)[Symbol.asyncIterator]();
      // The next page is read while the current one is written.
      let next = pages.next();
      for (;;) {
        const page = await next;
        if (page.done) break;
        if (signal.aborted) {
          await pages.return(undefined);
          throw new CliError("cli.interrupted", EXIT.interrupted, "interrupted: everything copied so far is complete; run the same migrate again to continue");
        }
        next = pages.next();
        next.catch(() => undefined);
        await putEvents(target, record.id, page.value);
        copied += page.value.length;
        progress.tick(0, copied);
      }
    } catch (error) {
      if (!(error instanceof SessionConflict)) throw error;
      conflicts.push(error);
    }
    progress.tick(1, copied);
  }
  return { copied, alreadyThere, conflicts, replaced };
}

/** Compare records, counts and checksums of every session in both stores. */
async function verifyAll(source: StoreDriver, target: StoreDriver, records: SessionRecord[], progress: Progress, { signal }: CommandContext) {
  const mismatches: Mismatch[] = [];
  let events = 0;
  for (const record of records) {
    if (signal.aborted) throw new CliError("cli.interrupted", EXIT.interrupted, "interrupted during verification: the copy is complete; run migrate again to verify");
    const stored = await target.getSession(record.id);
    if (!stored) mismatches.push({ sessionId: record.id, detail: "no record in the target" });
    else if (recordText(stored) !== recordText(record)) mismatches.push({ sessionId: record.id, detail: "the records differ" });
    const [a, b] = await Promise.all([checksum(source, record.id), checksum(target, record.id)]);
    if (a.count !== b.count) mismatches.push({ sessionId: record.id, detail: `${a.count} event(s) in the source, ${b.count} in the target` });
    else if (a.sha256 !== b.sha256) mismatches.push({ sessionId: record.id, detail: `same count (${a.count}), different content (SHA-256 ${a.sha256.slice(0, 12)} vs ${b.sha256.slice(0, 12)})` });
    events += a.count;
    progress.tick(1, events);
  }
  return { sessions: records.length, events, mismatches };
}

async function checksum(driver: StoreDriver, sessionId: string) {
  const sum = new SessionChecksum();
  for await (const page of eventPages(driver, sessionId)) sum.add(page);
  return sum.digest();
}
