// Runs `npm run demo` as a user (or CI) does: bash scripts/demo.sh in a child process, no
// terminal, no colours. For the demo's e2e tests.
import { spawn } from "node:child_process";
import { REPO_ROOT } from "../../harness/index.js";

/** How a demo run ended and what it printed. */
export interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the demo with `args`; rejects (after killing it) when it runs longer than `timeoutMs`.
 * `onStdout` may act on the output so far (e.g. interrupt it).
 */
export function runDemo(args: string[], timeoutMs: number, onStdout?: (stdout: string, child: ReturnType<typeof spawn>) => void): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["scripts/demo.sh", ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, CI: "true", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`demo still running after ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (data: string) => {
      stdout += data;
      onStdout?.(stdout, child);
    });
    child.stderr.setEncoding("utf8").on("data", (data: string) => (stderr += data));
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A run's outcome and output, for assertion messages. */
export function explainRun(run: DemoRun): string {
  return `exit ${run.code} ${run.signal ?? ""}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}
