// The demo's command line: flags, their defaults, and --help.
import { parseArgs } from "node:util";
import { isRuntimeKind, RUNTIMES, type RuntimeKind } from "./runtimes.js";
import { parseStoreSpec, STORE_FORMS, type StoreSpec } from "./stores.js";

/** What the demo was asked to do. */
export interface DemoOptions {
  /** Where sessions and events are stored. */
  store: StoreSpec;
  /** What the client talks to. */
  runtime: RuntimeKind;
  /** Keep a temporary SQLite file after the run. */
  keep: boolean;
  /** Also show restoration by `session/load` (a third client). */
  loadRound: boolean;
}

/** The command line was wrong; the message says how (exit code 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** `--help` text. */
export function helpText(): string {
  const runtimes = Object.entries(RUNTIMES).map(([name, text]) => `${name.padEnd(20)} ${text}`);
  return [
    "npm run demo [-- options]    (or: bash scripts/demo.sh [options])",
    "",
    "Starts a real agent runtime with a scripted agent, records a session into a store, kills and",
    "restarts the runtime under a live client, resumes the session from a fresh client (and with",
    "session/load), and shows what was restored, replayed and stored. About 5-10 s.",
    "",
    "Options:",
    "  --store <store>      where sessions and events are recorded:",
    ...STORE_FORMS.map((form) => `                         ${form}`),
    "  --runtime <kind>     what the client talks to:",
    ...runtimes.map((line) => `                         ${line}`),
    "  --keep               keep the temporary SQLite file and print its path",
    "  --skip-load          skip the session/load round (show only restoration by replay)",
    "  -h, --help           show this help",
    "",
    "Environment: NO_COLOR=1 disables colours (they are off anyway when stdout is not a terminal).",
    "Exit status: 0 when every step worked, 1 when one failed (the message says which), 2 for bad",
    "options, 130/143 when interrupted (everything started is stopped first).",
  ].join("\n");
}

/** Parses argv (without node and the script); `"help"` when help was asked for. */
export function parseCommandLine(argv: string[]): DemoOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        store: { type: "string" },
        runtime: { type: "string" },
        keep: { type: "boolean" },
        "skip-load": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return "help";
  const runtime = values.runtime ?? "sandbox-agent";
  if (!isRuntimeKind(runtime)) {
    throw new UsageError(`unknown runtime "${runtime}" (expected one of: ${Object.keys(RUNTIMES).join(", ")})`);
  }
  let store: StoreSpec;
  try {
    store = parseStoreSpec(values.store);
  } catch (error) {
    throw new UsageError(`--store: ${(error as Error).message}`);
  }
  return { store, runtime, keep: values.keep === true, loadRound: values["skip-load"] !== true };
}
