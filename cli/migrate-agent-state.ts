import { MANIFEST_KEY } from "../src/agent-state/manifest.js";
import type { AgentStateStorage } from "../src/persist/agent-state.js";
import type { SessionRecord } from "../src/persist/types.js";
import { digest, sessionFiles, standing, writeFile, writeOrder, type FileStanding } from "./agent-state.js";
import { SessionConflict } from "./copy.js";

// `migrate`'s part for agent state files: per session, a read-only plan (which files the
// target lacks, holds identical, holds a prefix of, or holds different), the writes after the
// session's events, and the comparison of both stores at the end.

/** What happens to one file of a session. */
export interface FilePlan {
  /** The file's key. */
  path: string;
  /** The target's copy against the source's. */
  standing: FileStanding;
  /** The target's size (0 when absent): where a prefix is completed from. */
  storedSize: number;
}

/** Totals of the files copied. */
export interface AgentStateCopyTotals {
  /** Files written: new in the target, or a prefix completed. */
  copied: number;
  /** Files the target already held identical. */
  alreadyThere: number;
  /** Files that differed in the target and were replaced (`--update-records`), as `session: path`. */
  replaced: string[];
  /** Bytes written. */
  bytes: number;
}

/** A fresh set of totals. */
export function emptyTotals(): AgentStateCopyTotals {
  return { copied: 0, alreadyThere: 0, replaced: [], bytes: 0 };
}

/**
 * What to do with each file of `sessionId` (reads only; the target's copy is read only where it
 * has the file). A file the target holds different is a conflict unless `replace`.
 * @throws SessionConflict naming the first differing file, when `replace` is off.
 */
export async function planFiles(source: AgentStateStorage, target: AgentStateStorage, sessionId: string, replace: boolean): Promise<FilePlan[]> {
  const stored = new Map((await target.listAgentState(sessionId)).map((f) => [f.path, f.size]));
  const plans: FilePlan[] = [];
  for (const { path } of writeOrder(await source.listAgentState(sessionId))) {
    if (!stored.has(path)) {
      plans.push({ path, standing: "absent", storedSize: 0 });
      continue;
    }
    const [wanted, held] = await Promise.all([source.readAgentState(sessionId, path), target.readAgentState(sessionId, path)]);
    // Deleted from the source since it was listed.
    if (wanted === undefined) continue;
    const where = standing(held, wanted);
    if (where === "different" && !replace) {
      throw new SessionConflict(sessionId, `the target holds a different agent state file "${path}" (left as it is; --update-records replaces it)`);
    }
    plans.push({ path, standing: where, storedSize: held?.length ?? 0 });
  }
  return plans;
}

/**
 * Carry out `plans` (the manifest last): write what the target lacks, complete prefixes,
 * replace what differs; adds to `totals`. When the target's manifest is to be rewritten and
 * other files change too, it is deleted first, so a copy cut short never pairs an old manifest
 * with half-written files.
 */
export async function copyFiles(source: AgentStateStorage, target: AgentStateStorage, sessionId: string, plans: readonly FilePlan[], totals: AgentStateCopyTotals): Promise<void> {
  const manifest = plans.find((p) => p.path === MANIFEST_KEY);
  const changing = plans.some((p) => p.path !== MANIFEST_KEY && p.standing !== "same");
  if (manifest && changing && (manifest.standing === "prefix" || manifest.standing === "different")) {
    await target.deleteAgentState(sessionId, MANIFEST_KEY);
    plans = plans.map((p) => (p === manifest ? { ...p, storedSize: 0 } : p));
  }
  for (const plan of plans) {
    if (plan.standing === "same") {
      totals.alreadyThere += 1;
      continue;
    }
    const data = await source.readAgentState(sessionId, plan.path);
    if (data === undefined) continue;
    const from = plan.standing === "prefix" ? plan.storedSize : 0;
    totals.bytes += await writeFile(target, sessionId, plan.path, data, from);
    if (plan.standing === "different") totals.replaced.push(`${sessionId}: ${plan.path}`);
    else totals.copied += 1;
  }
}

/** How many files (and bytes) the sessions of `records` hold, and in how many sessions. */
export async function countFiles(storage: AgentStateStorage, records: readonly SessionRecord[]): Promise<{ sessions: number; files: number; bytes: number }> {
  const found = { sessions: 0, files: 0, bytes: 0 };
  for (const record of records) {
    const { files, bytes } = await sessionFiles(storage, record.id);
    if (files.length === 0) continue;
    found.sessions += 1;
    found.files += files.length;
    found.bytes += bytes;
  }
  return found;
}

/**
 * Compare a session's files in both stores: the same paths, and per file the same size and
 * SHA-256. Returns what differs (empty: identical) and how many files the source holds.
 */
export async function compareFiles(source: AgentStateStorage, target: AgentStateStorage, sessionId: string): Promise<{ files: number; differences: string[] }> {
  const [mine, theirs] = await Promise.all([source.listAgentState(sessionId), target.listAgentState(sessionId)]);
  const differences: string[] = [];
  const inTarget = new Set(theirs.map((f) => f.path));
  for (const { path } of theirs) if (!mine.some((f) => f.path === path)) differences.push(`agent state file "${path}" is only in the target`);
  for (const { path } of mine) {
    if (!inTarget.has(path)) {
      differences.push(`agent state file "${path}" is missing in the target`);
      continue;
    }
    const [a, b] = await Promise.all([source.readAgentState(sessionId, path), target.readAgentState(sessionId, path)]);
    if (a === undefined || b === undefined) differences.push(`agent state file "${path}" is missing in the ${a === undefined ? "source" : "target"}`);
    else if (a.length !== b.length) differences.push(`agent state file "${path}": ${a.length} byte(s) in the source, ${b.length} in the target`);
    else if (digest(a) !== digest(b)) differences.push(`agent state file "${path}": same size (${a.length}), different content`);
  }
  return { files: mine.length, differences };
}
