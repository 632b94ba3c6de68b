// Fault injection for tests: freeze processes with SIGSTOP (a hung server: connections stay
// open, nothing is answered) and thaw them with SIGCONT. Linux only: states and parents are
// read from /proc/<pid>/stat.
import { readdirSync, readFileSync } from "node:fs";

/** What /proc/<pid>/stat says of one process. */
export interface ProcStat {
  /** Process id. */
  pid: number;
  /** State letter: `R`, `S`, `T` (stopped), `Z` (zombie), ... */
  state: string;
  /** Parent's pid. */
  ppid: number;
  /** Process group id. */
  pgrp: number;
}

/** /proc/<pid>/stat of one process; undefined when it is gone. */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command: state ppid pgrp ...
    const [state = "", ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, state, ppid: Number(ppid), pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/** Pids of the live (non-zombie) processes that `match`, read from /proc. */
export function findPids(match: (stat: ProcStat) => boolean): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat !== undefined && stat.state !== "Z" && match(stat)) pids.push(stat.pid);
  }
  return pids;
}

/** Pids of the live processes whose parent is `ppid`. */
export function childPids(ppid: number): number[] {
  return findPids((stat) => stat.ppid === ppid);
}

/** Sends `signal` to each pid, ignoring the ones already gone. */
export function signalPids(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

/**
 * Waits until every pid still alive is stopped (`wantStopped`) or no longer stopped, so a
 * caller knows the signal took effect. Throws after `timeoutMs`.
 */
export async function waitStopped(pids: readonly number[], wantStopped: boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = () =>
    pids.filter((pid) => {
      const state = procStat(pid)?.state;
      return state !== undefined && state !== "Z" && (state === "T") !== wantStopped;
    });
  while (pending().length > 0) {
    if (Date.now() >= deadline) {
      throw new Error(`processes ${pending().join(", ")} did not ${wantStopped ? "stop" : "continue"} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
