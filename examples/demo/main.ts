// `npm run demo`: a session that survives its runtime. Starts a real runtime with an agent (the
// project's scripted one, or Claude Code with `--agent claude`), records a session into a store,
// kills the runtime under a live client, resumes from fresh clients, and shows what was restored
// and stored. The stories are in scripted.ts and claude.ts; this file is the command line.
//
// The demo imports the SDK from ../../src so that it runs from a clean clone without a build;
// an app imports the same names from "durable-agent" and "durable-agent/sqlite".
import { runClaude } from "./claude.js";
import { helpText, parseCommandLine, UsageError, type DemoOptions } from "./cli.js";
import { describeError, Narrator, StepError } from "./narrate.js";
import { CheckFailedError, Resources } from "./resources.js";
import { runScripted } from "./scripted.js";

async function main(): Promise<number> {
  let options: DemoOptions | "help";
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`demo: ${error.message}\n\n${helpText()}\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const narrator = new Narrator();
  const resources = new Resources();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === "SIGINT" ? 130 : 143;
    if (interrupted) process.exit(code);
    interrupted = true;
    narrator.line();
    narrator.line(`demo: ${signal} received, stopping what the demo started`);
    const deadline = setTimeout(() => process.exit(code), 5_000);
    void resources.release().finally(() => {
      clearTimeout(deadline);
      process.exit(code);
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await (options.agent === "claude" ? runClaude : runScripted)(options, narrator, resources);
    return 0;
  } catch (error) {
    if (interrupted) return new Promise(() => undefined); // the signal handler exits
    narrator.line();
    const step = error instanceof StepError ? error : undefined;
    const cause = step ? step.cause : error;
    narrator.line(narrator.style("red", `demo failed${step ? ` at step ${step.step} (${step.title})` : ""}: ${describeError(cause)}`));
    if (!(cause instanceof CheckFailedError) && cause instanceof Error && cause.stack && process.env.DEMO_DEBUG === "1") {
      narrator.line(cause.stack);
    }
    return 1;
  } finally {
    if (!interrupted) await resources.release();
  }
}

const code = await main();
// Exit explicitly: nothing the demo started is left, and a lingering socket must not keep it alive.
process.exit(code);
