import type { Command, Option } from "commander";
import { applyRetention, type RetentionPolicy, type RetentionReport } from "../../src/lifecycle/retention.js";
import { byteSize, duration, nonNegativeInt, positiveInt } from "../args.js";
import { withStore, type CommandContext } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { progressFor } from "../progress.js";

/** Options of `prune`: the retention policy (src/lifecycle/retention.ts) as flags. */
export interface PruneOptions {
  /** `--max-age`, ms. */
  maxAge?: number;
  /** `--max-sessions`. */
  maxSessions?: number;
  /** `--max-events`, per session. */
  maxEvents?: number;
  /** `--max-bytes`, per session. */
  maxBytes?: number;
  /** `--keep`: ids never touched. */
  keep: string[];
  /** `--dry-run`. */
  dryRun: boolean;
  /** `--replay-max-events`. */
  replayMaxEvents?: number;
  /** `--replay-max-chars`. */
  replayMaxChars?: number;
}

/**
 * `prune <store>`: apply a retention policy with `applyRetention`: delete sessions idle
 * longer than `--max-age` or beyond `--max-sessions` (least recently active first), trim
 * sessions over `--max-events` / `--max-bytes` between turns, leaving a trim marker and what a
 * replay needs. `--keep` protects sessions; `--dry-run` reports without changing anything.
 */
export async function pruneCommand(url: string, options: PruneOptions, ctx: CommandContext): Promise<void> {
  const { out, signal } = ctx;
  const policy: RetentionPolicy = {};
  if (options.maxAge !== undefined) policy.maxAgeMs = options.maxAge;
  if (options.maxSessions !== undefined) policy.maxSessions = options.maxSessions;
  if (options.maxEvents !== undefined) policy.maxEventsPerSession = options.maxEvents;
  if (options.maxBytes !== undefined) policy.maxBytesPerSession = options.maxBytes;
  if (Object.keys(policy).length === 0) throw usageError("give at least one of --max-age, --max-sessions, --max-events, --max-bytes");
  if (options.keep.length > 0) {
    const keep = new Set(options.keep);
    policy.keep = (record) => keep.has(record.id);
  }
  if (options.replayMaxEvents !== undefined || options.replayMaxChars !== undefined) {
    policy.replay = {
      ...(options.replayMaxEvents !== undefined ? { maxEvents: options.replayMaxEvents } : {}),
      ...(options.replayMaxChars !== undefined ? { maxChars: options.replayMaxChars } : {}),
    };
  }
  await withStore(url, "write", async (store) => {
    const progress = progressFor(out);
    let phase = "";
    let report: RetentionReport;
    try {
      report = await applyRetention(store.driver, policy, {
        dryRun: options.dryRun,
        signal,
        onProgress: (p) => {
          if (p.phase !== phase) {
            progress.stop();
            progress.start(p.total, p.phase);
            phase = p.phase;
          }
          progress.tick(1, 0);
        },
      });
    } catch (error) {
      if (signal.aborted) throw new CliError("cli.interrupted", EXIT.interrupted, "interrupted: the deletions and trims done so far are complete");
      throw error;
    } finally {
      progress.stop();
    }
    out.result({ store: store.display, ...report });
    const would = report.dryRun ? "would " : "";
    for (const d of report.deletedSessions) out.line(`${would}delete ${d.id} (${d.rule}, last active ${new Date(d.lastActivityAt).toISOString()})`);
    for (const t of report.trimmedSessions) {
      out.line(`${would}trim ${t.sessionId}: ${t.removedEvents} event(s) removed, ${t.keptEvents} kept from #${t.firstKeptIndex}${t.overTarget ? " (over target: the newest turns must stay)" : ""}`);
    }
    for (const s of report.skipped) out.line(`skipped ${s.id}: the store cannot ${s.reason === "undeletable" ? "delete sessions" : "delete events"}`);
    out.line(
      `${report.dryRun ? "dry run: " : ""}${report.scannedSessions} session(s) scanned, ${report.deletedSessions.length} ${would}deleted, ` +
        `${report.trimmedSessions.length} ${would}trimmed (${report.removedEvents} event(s)), ${report.protectedSessions} protected`,
    );
  });
}

/** Add `prune` to the program. */
export function registerPrune(program: Command, json: () => Option, storeHelp: string, ctx: (o: { json?: boolean }) => CommandContext): void {
  program
    .command("prune")
    .description("apply a retention policy: delete old sessions, trim long ones")
    .argument("<store>", storeHelp)
    .option("--max-age <duration>", "delete sessions idle longer than this (e.g. 30d, 12h)", duration)
    .option("--max-sessions <n>", "keep at most this many sessions (least recently active go first)", nonNegativeInt)
    .option("--max-events <n>", "trim sessions to about this many events", positiveInt)
    .option("--max-bytes <size>", "trim sessions to about this many bytes (e.g. 5MB)", byteSize)
    .option("--keep <id>", "never touch this session (repeatable)", (id: string, all: string[]) => [...all, id], [] as string[])
    .option("--replay-max-events <n>", "the replay cap the clients restore with (default 50)", positiveInt)
    .option("--replay-max-chars <n>", "the replay cap in characters (default 12000)", positiveInt)
    .option("--dry-run", "report what would be done, change nothing", false)
    .addOption(json())
    .action((store: string, o: PruneOptions & { json?: boolean }) => pruneCommand(store, o, ctx(o)));
}
