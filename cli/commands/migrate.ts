import type { AgentStateStorage } from "../../src/persist/agent-state.js";
import type { SessionRecord } from "../../src/persist/types.js";
import { agentStateOf, agentStateUnsupported, formatBytes } from "../agent-state.js";
import type { CommandContext } from "../context.js";
import { putEvents, putRecord, SessionConflict } from "../copy.js";
import { CliError, usageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { recordText, SessionChecksum } from "../export-format.js";
import { compareFiles, copyFiles, countFiles, emptyTotals, planFiles } from "../migrate-agent-state.js";
import { openStore, type OpenStore, type StoreDriver } from "../open-store.js";
import { progressFor, type Progress } from "../progress.js";
import { parseStoreUrl } from "../store-url.js";
import { allSessions, eventPages, lastEventIndex } from "../walk.js";

/** Options of `migrate`. */
export interface MigrateOptions {
  /** Compare every session of both stores at the end (default on). */
  verify: boolean;
  /** Replace a target record or agent state file that differs from the source's (the source changed since an earlier run) instead of refusing the session. */
  updateRecords: boolean;
  /** Leave the sessions' agent state files behind (needed when the source has some and the target cannot store them). */
  withoutAgentState?: boolean;
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
 * count and a SHA-256 over the canonical events must match (a mismatch exits 1). Agent state
 * files go with their sessions (whole, compared byte for byte); a source with files and a
 * target that cannot store them is refused before anything is written, unless
 * `withoutAgentState` says to leave them behind.
 */
export async function migrateCommand(fromUrl: string, toUrl: string, options: MigrateOptions, ctx: CommandContext): Promise<void> {
  const from = parseStoreUrl(fromUrl);
  const to = parseStoreUrl(toUrl);
  if (from.display === to.display) throw usageError(`source and target are the same store (${from.display})`);
  const source = await openStore(from, "read");
  let target: OpenStore | undefined;
  try {
    target = await openStore(to, "write");
    await migrateStores(source, target, options, ctx);
  } finally {
    await source.close().catch(() => undefined);
    await target?.close().catch(() => undefined);
  }
}

/** The two agent state storages when the files are copied; what is left behind otherwise. */
type FilesPlan = { copy: { source: AgentStateStorage; target: AgentStateStorage } } | { leftBehind?: { sessions: number; files: number; bytes: number }; skipped?: string };

/**
 * The migration between two open stores (which the caller closes): what `migrate` does once
 * both are open. Exported for tests that give it a store whose driver lacks a capability.
 */
export async function migrateStores(source: OpenStore, target: OpenStore, options: MigrateOptions, ctx: CommandContext): Promise<void> {
  const { out } = ctx;
  const progress = progressFor(out);
  try {
    const records: SessionRecord[] = [];
    for await (const record of allSessions(source.driver)) records.push(record);
    const files = await planAgentState(source, target, records, options);
    const began = performance.now();
    progress.start(records.length, "copy");
    const copied = await copyAll(source.driver, target.driver, records, options.updateRecords, "copy" in files ? files.copy : undefined, progress, ctx);
    progress.stop();
    const copyMs = performance.now() - began;
    const conflicted = new Set(copied.conflicts.map((c) => c.sessionId));
    let verified: { sessions: number; events: number; agentStateFiles: number; mismatches: Mismatch[]; ms: number } | undefined;
    if (options.verify) {
      const start = performance.now();
      progress.start(records.length, "verify");
      const checked = records.filter((r) => !conflicted.has(r.id));
      const result = await verifyAll(source.driver, target.driver, checked, "copy" in files ? files.copy : undefined, progress, ctx);
      progress.stop();
      verified = { ...result, ms: performance.now() - start };
    }
    const summary = {
      from: source.display,
      to: target.display,
      sessions: records.length,
      events: { copied: copied.copied, alreadyThere: copied.alreadyThere },
      recordsReplaced: copied.replaced,
      agentState: {
        files: { copied: copied.files.copied, alreadyThere: copied.files.alreadyThere, replaced: copied.files.replaced },
        bytes: copied.files.bytes,
        ...("copy" in files ? {} : files),
      },
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
    if ("copy" in files) {
      out.line(
        `agent state: copied ${copied.files.copied} file(s) (${formatBytes(copied.files.bytes)}); ${copied.files.alreadyThere} were already there` +
          (copied.files.replaced.length > 0 ? `; replaced ${copied.files.replaced.length} that differed: ${copied.files.replaced.join(", ")}` : ""),
      );
    } else if (files.leftBehind) {
      const { sessions, files: n, bytes } = files.leftBehind;
      out.line(`agent state: LEFT BEHIND ${n} file(s) (${formatBytes(bytes)}) of ${sessions} session(s) (--without-agent-state): a lost sandbox of those sessions is restored by replay from ${target.display}`);
    } else if (files.skipped) out.line(`agent state: none copied (${files.skipped})`);
    if (verified) {
      out.line(
        verified.mismatches.length === 0
          ? `verified: ${verified.sessions} session(s), ${verified.events} event(s)${"copy" in files ? `, ${verified.agentStateFiles} agent state file(s)` : ""} identical in both stores (counts and SHA-256)`
          : `VERIFY FAILED: ${new Set(verified.mismatches.map((m) => m.sessionId)).size} session(s) differ`,
      );
      for (const m of verified.mismatches) out.line(`  ${m.sessionId}: ${m.detail}`);
    }
    if (copied.conflicts.length > 0) {
      for (const c of copied.conflicts) out.line(`  conflict: ${c.message}`);
      throw new CliError(
        "cli.conflict",
        EXIT.dataRefused,
        `${copied.conflicts.length} session(s) conflict with ${target.display} and were not copied (--update-records replaces records and agent state files that differ)`,
      );
    }
    if (verified && verified.mismatches.length > 0) {
      const differ = new Set(verified.mismatches.map((m) => m.sessionId)).size;
      throw new CliError("cli.check_failed", EXIT.checkFailed, `verification failed: ${differ} session(s) differ between ${source.display} and ${target.display}`);
    }
  } finally {
    progress.stop();
  }
}

/**
 * Whether agent state files are copied. Without `withoutAgentState`, a source with files and a
 * target that cannot store them is refused here, before anything is written.
 */
async function planAgentState(source: OpenStore, target: OpenStore, records: readonly SessionRecord[], options: MigrateOptions): Promise<FilesPlan> {
  const from = agentStateOf(source.driver);
  const to = agentStateOf(target.driver);
  if (from === undefined) return { skipped: `${source.display} has no agent state storage` };
  if (to !== undefined && options.withoutAgentState !== true) return { copy: { source: from, target: to } };
  const found = await countFiles(from, records);
  if (found.files === 0) return { skipped: to === undefined ? `${target.display} cannot store agent state, and the source has none` : "--without-agent-state, and the source has none" };
  if (options.withoutAgentState !== true) throw agentStateUnsupported(target.display, found, "migrate");
  return { leftBehind: found };
}

/** Copy every session's record, the events the target lacks and (with `files`) its agent state files. */
async function copyAll(
  source: StoreDriver,
  target: StoreDriver,
  records: SessionRecord[],
  updateRecords: boolean,
  files: { source: AgentStateStorage; target: AgentStateStorage } | undefined,
  progress: Progress,
  { signal }: CommandContext,
) {
  let copied = 0;
  const replaced: string[] = [];
  let alreadyThere = 0;
  const conflicts: SessionConflict[] = [];
  const fileTotals = emptyTotals();
  for (const record of records) {
    try {
      // Reads only: a file that differs makes the session a conflict before any of it is written.
      const plans = files ? await planFiles(files.source, files.target, record.id, updateRecords) : [];
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
      // After the events, as the client stores a snapshot after its turn's events.
      if (files) {
        await copyFiles(files.source, files.target, record.id, plans, fileTotals);
        progress.tick(0, copied, fileTotals.copied + fileTotals.alreadyThere + fileTotals.replaced.length);
      }
    } catch (error) {
      if (!(error instanceof SessionConflict)) throw error;
      conflicts.push(error);
    }
    progress.tick(1, copied);
  }
  return { copied, alreadyThere, conflicts, replaced, files: fileTotals };
}

/** Compare records, counts and checksums of every session in both stores (and, with `files`, their agent state files). */
async function verifyAll(
  source: StoreDriver,
  target: StoreDriver,
  records: SessionRecord[],
  files: { source: AgentStateStorage; target: AgentStateStorage } | undefined,
  progress: Progress,
  { signal }: CommandContext,
) {
  const mismatches: Mismatch[] = [];
  let events = 0;
  let agentStateFiles = 0;
  for (const record of records) {
    if (signal.aborted) throw new CliError("cli.interrupted", EXIT.interrupted, "interrupted during verification: the copy is complete; run migrate again to verify");
    const stored = await target.getSession(record.id);
    if (!stored) mismatches.push({ sessionId: record.id, detail: "no record in the target" });
    else if (recordText(stored) !== recordText(record)) mismatches.push({ sessionId: record.id, detail: "the records differ" });
    const [a, b] = await Promise.all([checksum(source, record.id), checksum(target, record.id)]);
    if (a.count !== b.count) mismatches.push({ sessionId: record.id, detail: `${a.count} event(s) in the source, ${b.count} in the target` });
    else if (a.sha256 !== b.sha256) mismatches.push({ sessionId: record.id, detail: `same count (${a.count}), different content (SHA-256 ${a.sha256.slice(0, 12)} vs ${b.sha256.slice(0, 12)})` });
    events += a.count;
    if (files) {
      const compared = await compareFiles(files.source, files.target, record.id);
      agentStateFiles += compared.files;
      for (const detail of compared.differences) mismatches.push({ sessionId: record.id, detail });
    }
    progress.tick(1, events, agentStateFiles);
  }
  return { sessions: records.length, events, agentStateFiles, mismatches };
}

async function checksum(driver: StoreDriver, sessionId: string) {
  const sum = new SessionChecksum();
  for await (const page of eventPages(driver, sessionId)) sum.add(page);
  return sum.digest();
}
