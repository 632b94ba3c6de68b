#!/usr/bin/env node
/**
 * `durable-agent`: the operator's CLI for session stores (docs/cli.md). Inspect (`ls`,
 * `show`, `events`, `tail -f`), move (`export`, `import`, `migrate`), check (`verify`) and
 * trim (`prune`) the sessions of any store named by URL.
 * @packageDocumentation
 */
import { Command, CommanderError, Option } from "commander";
import { DurableAgentError } from "../src/errors.js";
import { redactCredentials } from "../src/transport/url.js";
import { afterIndex, positiveInt, nonNegativeInt } from "./args.js";
import { eventsCommand } from "./commands/events.js";
import { exportCommand } from "./commands/export.js";
import { importCommand } from "./commands/import.js";
import { lsCommand } from "./commands/ls.js";
import { migrateCommand } from "./commands/migrate.js";
import { registerPrune } from "./commands/prune.js";
import { showCommand } from "./commands/show.js";
import { tailCommand } from "./commands/tail.js";
import { verifyCommand } from "./commands/verify.js";
import type { CommandContext } from "./context.js";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { Output } from "./output.js";

declare const __DURABLE_AGENT_VERSION__: string | undefined;
const VERSION = typeof __DURABLE_AGENT_VERSION__ === "string" ? __DURABLE_AGENT_VERSION__ : "dev";

const STORE_HELP = "store URL: sqlite:./x.db, postgres://host:5432/db, redis://host:6379, file:./dir (see docs/cli.md)";

/** Build the program; `context` gives each command its output and the interrupt signal. */
export function buildProgram(context: (json: boolean) => CommandContext): Command {
  const program = new Command("durable-agent")
    .description("Inspect, move, check and trim durable-agent session stores.")
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride();
  const json = () => new Option("--json", "machine-readable output for scripts");
  const ctx = (options: { json?: boolean }) => context(options.json === true);

  program
    .command("ls")
    .description("list sessions, oldest first, one page at a time")
    .argument("<store>", STORE_HELP)
    .option("--limit <n>", "sessions per page (at most 1000)", positiveInt, 50)
    .option("--cursor <cursor>", "the page after a previous ls (the cursor it printed)")
    .addOption(json())
    .action((store: string, o: { limit: number; cursor?: string; json?: boolean }) =>
      lsCommand(store, { limit: o.limit, ...(o.cursor ? { cursor: o.cursor } : {}) }, ctx(o)),
    );

  program
    .command("show")
    .description("a session's record and readable transcript")
    .argument("<store>", STORE_HELP)
    .argument("<id>", "session id")
    .option("--thoughts", "include the agent's thoughts", false)
    .addOption(json())
    .action((store: string, id: string, o: { thoughts: boolean; json?: boolean }) => showCommand(store, id, { thoughts: o.thoughts }, ctx(o)));

  program
    .command("events")
    .description("a session's raw events, one page at a time")
    .argument("<store>", STORE_HELP)
    .argument("<id>", "session id")
    .option("--after <index>", "events after this eventIndex (-1: from the start)", afterIndex, -1)
    .option("--limit <n>", "at most this many events", positiveInt, 100)
    .addOption(json())
    .action((store: string, id: string, o: { after: number; limit: number; json?: boolean }) =>
      eventsCommand(store, id, { after: o.after, limit: o.limit }, ctx(o)),
    );

  program
    .command("export")
    .description("write sessions (all, or the ids given) as JSONL, lossless")
    .argument("<store>", STORE_HELP)
    .argument("[ids...]", "session ids (default: every session)")
    .option("-o, --output <file>", "write to this file instead of stdout")
    .addOption(json())
    .action((store: string, ids: string[], o: { output?: string; json?: boolean }) =>
      exportCommand(store, ids, o.output === undefined ? {} : { output: o.output }, ctx(o)),
    );

  program
    .command("import")
    .description("load a JSONL export; idempotent (re-importing changes nothing)")
    .argument("<store>", STORE_HELP)
    .argument("[file]", "the export file (default or '-': stdin)")
    .option("--without-agent-state", "skip the export's agent state files (a lost sandbox is then restored by replay)", false)
    .addOption(json())
    .action((store: string, file: string | undefined, o: { withoutAgentState: boolean; json?: boolean }) =>
      importCommand(store, file, { withoutAgentState: o.withoutAgentState }, ctx(o)),
    );

  program
    .command("migrate")
    .description("copy every session to another store: resumable, verified at the end")
    .argument("<from>", `source ${STORE_HELP}`)
    .argument("<to>", "target store URL")
    .option("--no-verify", "skip the comparison of both stores at the end")
    .option("--update-records", "replace target records and agent state files that differ from the source's (changed since an earlier run)", false)
    .option("--without-agent-state", "leave the sessions' agent state files behind (a lost sandbox is then restored by replay)", false)
    .addOption(json())
    .action((from: string, to: string, o: { verify: boolean; updateRecords: boolean; withoutAgentState: boolean; json?: boolean }) =>
      migrateCommand(from, to, { verify: o.verify, updateRecords: o.updateRecords, withoutAgentState: o.withoutAgentState }, ctx(o)),
    );


  registerPrune(program, json, STORE_HELP, ctx);

  program
    .command("verify")
    .description("check a store: gap-free indexes, valid records and payloads, unique event ids")
    .argument("<store>", STORE_HELP)
    .argument("[ids...]", "session ids (default: every session)")
    .addOption(json())
    .action((store: string, ids: string[], o: { json?: boolean }) => verifyCommand(store, ids, ctx(o)));

  program
    .command("tail")
    .description("a session's latest events; with -f, follow new ones until Ctrl-C")
    .argument("<store>", STORE_HELP)
    .argument("<id>", "session id")
    .option("-f, --follow", "keep printing new events", false)
    .option("-n, --lines <n>", "how many of the latest events to print first", nonNegativeInt, 10)
    .option("--poll", "poll even on PostgreSQL (for writers without notify)", false)
    .option("--interval <ms>", "polling interval in ms", positiveInt, 500)
    .addOption(json())
    .action((store: string, id: string, o: { follow: boolean; lines: number; poll: boolean; interval: number; json?: boolean }) =>
      tailCommand(store, id, { follow: o.follow, lines: o.lines, poll: o.poll, intervalMs: o.interval }, ctx(o)),
    );

  for (const command of program.commands) command.exitOverride();
  return program;
}

/** The exit code and message of a failure. */
export function describeFailure(error: unknown): { exitCode: number; code: string; message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, code: error.code, message: error.message };
  if (error instanceof CommanderError) return { exitCode: EXIT.usage, code: "cli.usage", message: error.message.replace(/^error: /, "") };
  if (error instanceof DurableAgentError) {
    const exitCode =
      error.code === "persist.invalid_cursor" || error.code === "persist.invalid_input"
        ? EXIT.usage
        : error.code === "persist.schema_too_new" || error.code === "persist.file.busy"
          ? EXIT.storeUnavailable
          : EXIT.internal;
    return { exitCode, code: error.code, message: error.message };
  }
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE)$/.test(code)) {
    return { exitCode: EXIT.storeUnavailable, code: "cli.store_unavailable", message: `lost the store: ${message}` };
  }
  return { exitCode: EXIT.internal, code: "cli.internal", message: error instanceof Error && process.env.DEBUG ? (error.stack ?? message) : message };
}

/** Run the CLI on `argv` (as `process.argv`) and end the process with its exit code. */
export async function main(argv: readonly string[]): Promise<never> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // A reader that went away (`durable-agent export ... | head`) is not a failure.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT.ok);
  });
  const wantsJson = argv.includes("--json");
  let output: Output | undefined;
  const program = buildProgram((json) => {
    output = new Output(json);
    return { out: output, signal: controller.signal };
  });
  program.configureOutput({ writeErr: (text) => process.stderr.write(redactCredentials(text)) });
  let exitCode: number = EXIT.ok;
  try {
    await program.parseAsync([...argv]);
    output?.finish();
  } catch (error) {
    if (error instanceof CommanderError && (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help")) {
      exitCode = EXIT.ok;
    } else {
      const failure = describeFailure(error);
      exitCode = failure.exitCode;
      const message = redactCredentials(failure.message);
      // Commander has already printed its own usage errors.
      if (!(error instanceof CommanderError)) process.stderr.write(`durable-agent: ${message}\n`);
      const details = { code: failure.code, exitCode, message };
      if (output) output.finish(details);
      else if (wantsJson) process.stdout.write(`${JSON.stringify({ error: details })}\n`);
    }
  }
  // Let stdout drain before leaving (a pipe is written asynchronously).
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(exitCode);
}

await main(process.argv);
