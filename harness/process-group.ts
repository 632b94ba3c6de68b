// Process groups the harness started, killed whole (runtime and the agents it spawned) when the
// parent process exits or is told to stop, so that no child outlives a test run.
import { readFileSync, rmSync } from "node:fs";

const live = new Set<number>();
const dirs = new Set<string>();
let hooked = false;

/** Sends `signal` to the process group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process with this pid is alive: it exists and is not a zombie waiting to be reaped. */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function killAll(): void {
  for (const pgid of live) signalGroup(pgid, "SIGKILL");
  live.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  process.off(signal, onSignal);
  // Keep the default behaviour (dying by the signal) unless the app handles it itself.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function hook(): void {
  if (!hooked) {
    hooked = true;
    process.on("exit", killAll);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
}

/** Registers a process group to kill if the parent exits first. */
export function trackGroup(pgid: number): void {
  live.add(pgid);
  hook();
}

/** Registers a temp dir to remove if the parent exits before the harness removes it. */
export function trackDir(dir: string): void {
  dirs.add(dir);
  hook();
}

/** Forgets a temp dir the harness removed (or was asked to keep). */
export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

/** Forgets a process group once it is gone. */
export function untrackGroup(pgid: number): void {
  live.delete(pgid);
}
