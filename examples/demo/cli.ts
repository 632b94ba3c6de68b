// The demo's command line: flags, their defaults, and --help.
import { parseArgs } from "node:util";
import { isRuntimeKind, RUNTIMES, type RuntimeKind } from "./runtimes.js";
import { parseStoreSpec, STORE_FORMS, type StoreSpec } from "./stores.js";

/** Agents `--agent` accepts, with the line `--help` shows for each. */
export const AGENTS = {
  scripted: "the project's scripted agent: stands in for an LLM and reports the context it got (default)",
  claude: "Claude Code through its ACP adapter, offline: a fake model on loopback stands in for the API",
} as const;

/** An agent the demo can run. */
export type DemoAgent = keyof typeof AGENTS;

/** What the demo was asked to do. */
export interface DemoOptions {
  /** Which agent the session talks to. */
  agent: DemoAgent;
  /** Where sessions and events are stored. */
  store: StoreSpec;
  /** What the client talks to. */
  runtime: RuntimeKind;
  /** Keep a temporary SQLite file after the run. */
  keep: boolean;
  /** Also show restoration by `session/load` (a third client; scripted agent only, Claude Code always loads). */
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
    "Starts a real agent runtime with an agent, records a session into a store, kills and restarts",
    "the runtime under a live client, resumes the session from a fresh client (by replay and by",
    "session/load), and shows what was restored, replayed and stored. About 5-10 s (Claude Code: 10-20 s).",
    "",
    "Options:",
    "  --agent <agent>      which agent the session talks to:",
    ...Object.entries(AGENTS).map(([name, text]) => `                         ${name.padEnd(20)} ${text}`),
    "  --store <store>      where sessions and events are recorded:",
    ...STORE_FORMS.map((form) => `                         ${form}`),
    "  --runtime <kind>     what the client talks to:",
    ...runtimes.map((line) => `                         ${line}`),
    "  --keep               keep the temporary SQLite file (or file store directory) and print its path",
    "  --skip-load          scripted agent: skip the session/load round (show only restoration by replay)",
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
        agent: { type: "string" },
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
  const agent = values.agent ?? "scripted";
  if (!Object.hasOwn(AGENTS, agent)) {
    throw new UsageError(`unknown agent "${agent}" (expected one of: ${Object.keys(AGENTS).join(", ")})`);
  }
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
  return { agent: agent as DemoAgent, store, runtime, keep: values.keep === true, loadRound: values["skip-load"] !== true };
}
