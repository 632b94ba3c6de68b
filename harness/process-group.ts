// Process groups the harness started, killed whole (runtime and the agents it spawned) when the
// parent process exits or is told to stop, so that no child outlives a test run.
import { readFileSync } from "node:fs";

const live = new Set<number>();
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
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  process.off(signal, onSignal);
  // Keep the default behaviour (dying by the signal) unless the app handles it itself.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/** Registers a process group to kill if the parent exits first. */
export function trackGroup(pgid: number): void {
  live.add(pgid);
  if (!hooked) {
    hooked = true;
    process.on("exit", killAll);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
}

/** Forgets a process group once it is gone. */
export function untrackGroup(pgid: number): void {
  live.delete(pgid);
}
