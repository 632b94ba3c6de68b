import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { withStore, type CommandContext } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { compareRecord, putEvents, putRecord, SessionConflict } from "../copy.js";
import { eventText } from "../export-format.js";
import type { StoreDriver } from "../open-store.js";
import { progressFor } from "../progress.js";
import { readExport, type ExportedSession } from "../read-export.js";
import { eventPages } from "../walk.js";

/** Counts of an import. */
export interface ImportTotals {
  /** Records inserted, and those the target already held identical. */
  sessions: { new: number; unchanged: number };
  /** Events inserted, and those the target already held identical. */
  events: { new: number; unchanged: number };
}

const BATCH = 1000;

/**
 * `import <store> [file]`: load a JSONL export (a file, or stdin with `-` or no file).
 * Two passes: the first checks every line and compares every session with the target
 * (read-only), so a malformed file or a conflict (a different record or event under the same
 * id or index) changes nothing; the second writes what the target lacks. Re-importing the
 * same file writes nothing and says so.
 */
export async function importCommand(url: string, file: string | undefined, ctx: CommandContext): Promise<void> {
  const { out, signal } = ctx;
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
    await withStore(url, "write", async (store) => {
      const totals: ImportTotals = { sessions: { new: 0, unchanged: 0 }, events: { new: 0, unchanged: 0 } };
      const conflicts: SessionConflict[] = [];
      let sessionCount = 0;
      for await (const session of readExport(path, display)) {
        sessionCount += 1;
        const plan = await planSession(store.driver, session);
        if (plan instanceof SessionConflict) conflicts.push(plan);
      }
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
          progress.tick(1, totals.events.new + totals.events.unchanged);
        }
      } finally {
        progress.stop();
      }
      const changed = totals.sessions.new > 0 || totals.events.new > 0;
      out.result({ store: store.display, changed, ...totals });
      const sessions = totals.sessions.new + totals.sessions.unchanged;
      const events = totals.events.new + totals.events.unchanged;
      if (!changed) out.line(`nothing changed: all ${sessions} session(s) and ${events} event(s) were already in ${store.display}`);
      else {
        out.line(
          `imported into ${store.display}: ${sessions} session(s) (${totals.sessions.new} new, ${totals.sessions.unchanged} already there), ` +
            `${events} event(s) (${totals.events.new} new, ${totals.events.unchanged} already there)`,
        );
      }
    });
  } finally {
    if (spool) await rm(spool, { recursive: true, force: true });
  }
}

/** The canonical text of every stored event of a session, by `eventIndex`. */
async function storedTexts(driver: StoreDriver, sessionId: string): Promise<Map<number, string>> {
  const texts = new Map<number, string>();
  for await (const page of eventPages(driver, sessionId)) for (const event of page) texts.set(event.eventIndex, eventText(event));
  return texts;
}

/** The conflict the session would raise in the target, if any (reads only). */
async function planSession(driver: StoreDriver, session: ExportedSession): Promise<SessionConflict | undefined> {
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
  return undefined;
}
