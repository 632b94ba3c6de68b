import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { AgentStateStorage } from "../../src/persist/agent-state.js";
import { agentStateOf, agentStateUnsupported, formatBytes, standing, writeFile } from "../agent-state.js";
import { withStore, type CommandContext } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { compareRecord, putEvents, putRecord, SessionConflict } from "../copy.js";
import { eventText } from "../export-format.js";
import type { OpenStore, StoreDriver } from "../open-store.js";
import { progressFor } from "../progress.js";
import { readExport, type ExportedSession } from "../read-export.js";
import { eventPages } from "../walk.js";

/** Counts of an import. */
export interface ImportTotals {
  /** Records inserted, and those the target already held identical. */
  sessions: { new: number; unchanged: number };
  /** Events inserted, and those the target already held identical. */
  events: { new: number; unchanged: number };
  /** Agent state files written (new, or a prefix the target held completed), those it held identical, and the bytes written. */
  agentState: { new: number; unchanged: number; bytes: number };
}

/** Options of `import`. */
export interface ImportOptions {
  /** Skip the export's agent state files (needed when it has some and the target cannot store them). */
  withoutAgentState?: boolean;
}

const BATCH = 1000;

/**
 * `import <store> [file]`: load a JSONL export (a file, or stdin with `-` or no file).
 * Two passes: the first checks every line and compares every session with the target
 * (read-only), so a malformed file or a conflict (a different record or event under the same
 * id or index, a different agent state file under the same path) changes nothing; the second
 * writes what the target lacks. Re-importing the same file writes nothing and says so. An
 * export with agent state files and a target that cannot store them is refused (nothing
 * written) unless `withoutAgentState`.
 */
export async function importCommand(url: string, file: string | undefined, options: ImportOptions, ctx: CommandContext): Promise<void> {
  let spool: string | undefined;
  let path = file;
  if (path === undefined || path === "-") {
    if (process.stdin.isTTY === true) throw usageError("give the export file, or pipe it in (durable-agent import <store> < export.jsonl)");
    spool = await mkdtemp(join(tmpdir(), "durable-agent-import-"));
    path = join(spool, "stdin.jsonl");
    await pipeline(process.stdin, createWriteStream(path));
  }
  const display = spool ? "stdin" : path;
  try {
    await withStore(url, "write", (store) => importInto(store, path, display, options, ctx));
  } finally {
    if (spool) await rm(spool, { recursive: true, force: true });
  }
}

/**
 * The import of the export at `path` into an open store (which the caller closes). Exported
 * for tests that give it a store whose driver lacks a capability.
 */
export async function importInto(store: OpenStore, path: string, display: string, options: ImportOptions, ctx: CommandContext): Promise<void> {
  const { out, signal } = ctx;
  const totals: ImportTotals = { sessions: { new: 0, unchanged: 0 }, events: { new: 0, unchanged: 0 }, agentState: { new: 0, unchanged: 0, bytes: 0 } };
  const conflicts: SessionConflict[] = [];
  let sessionCount = 0;
  const files = options.withoutAgentState === true ? undefined : agentStateOf(store.driver);
  const exported = { sessions: 0, files: 0, bytes: 0 };
  for await (const session of readExport(path, display)) {
    sessionCount += 1;
    if (session.agentState.length > 0) {
      exported.sessions += 1;
      exported.files += session.agentState.length;
      exported.bytes += session.agentState.reduce((n, f) => n + f.data.length, 0);
    }
    const plan = await planSession(store.driver, files, session);
    if (plan instanceof SessionConflict) conflicts.push(plan);
  }
  if (exported.files > 0 && options.withoutAgentState !== true && files === undefined) throw agentStateUnsupported(store.display, exported, "import");
  if (conflicts.length > 0) {
    const list = conflicts.slice(0, 10).map((c) => `  ${c.message}`).join("\n");
    const more = conflicts.length > 10 ? `\n  ... and ${conflicts.length - 10} more` : "";
    throw new CliError("cli.conflict", EXIT.dataRefused, `${conflicts.length} session(s) conflict with ${store.display}; nothing was imported:\n${list}${more}`);
  }
  const progress = progressFor(out);
  progress.start(sessionCount, "import");
  try {
    for await (const session of readExport(path, display)) {
      if (signal.aborted) throw new CliError("cli.interrupted", EXIT.interrupted, "interrupted: what was imported is complete; run the import again to finish");
      const outcome = await putRecord(store.driver, session.record);
      totals.sessions[outcome === "inserted" ? "new" : "unchanged"] += 1;
      const present = await storedTexts(store.driver, session.record.id);
      const missing = session.events.filter((event) => present.get(event.eventIndex) === undefined);
      totals.events.unchanged += session.events.length - missing.length;
      for (let i = 0; i < missing.length; i += BATCH) {
        await putEvents(store.driver, session.record.id, missing.slice(i, i + BATCH));
        totals.events.new += Math.min(BATCH, missing.length - i);
      }
      // After the events, in the export's order (the manifest last).
      if (files) await putFiles(files, session, totals);
      progress.tick(1, totals.events.new + totals.events.unchanged, totals.agentState.new + totals.agentState.unchanged);
    }
  } finally {
    progress.stop();
  }
  const changed = totals.sessions.new > 0 || totals.events.new > 0 || totals.agentState.new > 0;
  const leftBehind = options.withoutAgentState === true && exported.files > 0 ? { leftBehind: exported } : {};
  out.result({ store: store.display, changed, ...totals, ...leftBehind });
  const sessions = totals.sessions.new + totals.sessions.unchanged;
  const events = totals.events.new + totals.events.unchanged;
  const stateFiles = totals.agentState.new + totals.agentState.unchanged;
  const what = stateFiles > 0 ? `${sessions} session(s), ${events} event(s) and ${stateFiles} agent state file(s)` : `${sessions} session(s) and ${events} event(s)`;
  if (!changed) out.line(`nothing changed: all ${what} were already in ${store.display}`);
  else {
    out.line(
      `imported into ${store.display}: ${sessions} session(s) (${totals.sessions.new} new, ${totals.sessions.unchanged} already there), ` +
        `${events} event(s) (${totals.events.new} new, ${totals.events.unchanged} already there)` +
        (stateFiles > 0 ? `, ${stateFiles} agent state file(s) (${totals.agentState.new} written, ${formatBytes(totals.agentState.bytes)}; ${totals.agentState.unchanged} already there)` : ""),
    );
  }
  if (options.withoutAgentState === true && exported.files > 0) {
    out.line(`agent state: LEFT BEHIND ${exported.files} file(s) (${formatBytes(exported.bytes)}) of ${exported.sessions} session(s) (--without-agent-state): a lost sandbox of those sessions is restored by replay`);
  }
}

/** Write the session's agent state files the target lacks (or holds a prefix of); identical ones are left alone. */
async function putFiles(target: AgentStateStorage, session: ExportedSession, totals: ImportTotals): Promise<void> {
  const id = session.record.id;
  for (const { path, data } of session.agentState) {
    const stored = await target.readAgentState(id, path);
    const where = standing(stored, data);
    if (where === "same") {
      totals.agentState.unchanged += 1;
      continue;
    }
    // Written in between the two passes by someone else: left as it is.
    if (where === "different") throw new SessionConflict(id, `agent state file "${path}" changed in the target during the import (left as it is)`);
    totals.agentState.bytes += await writeFile(target, id, path, data, stored?.length ?? 0);
    totals.agentState.new += 1;
  }
}

/** The canonical text of every stored event of a session, by `eventIndex`. */
async function storedTexts(driver: StoreDriver, sessionId: string): Promise<Map<number, string>> {
  const texts = new Map<number, string>();
  for await (const page of eventPages(driver, sessionId)) for (const event of page) texts.set(event.eventIndex, eventText(event));
  return texts;
}

/** The conflict the session would raise in the target, if any (reads only). */
async function planSession(driver: StoreDriver, files: AgentStateStorage | undefined, session: ExportedSession): Promise<SessionConflict | undefined> {
  const id = session.record.id;
  if ((await compareRecord(driver, session.record)) === "different") {
    return new SessionConflict(id, "the target holds a different record under this id");
  }
  const present = await storedTexts(driver, id);
  for (const event of session.events) {
    const stored = present.get(event.eventIndex);
    if (stored !== undefined && stored !== eventText(event)) {
      return new SessionConflict(id, `eventIndex ${event.eventIndex} holds a different event in the target`);
    }
  }
  if (files) {
    for (const { path, data } of session.agentState) {
      if (standing(await files.readAgentState(id, path), data) === "different") {
        return new SessionConflict(id, `the target holds a different agent state file "${path}"`);
      }
    }
  }
  return undefined;
}
