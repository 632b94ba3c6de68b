import { readFileSync } from "node:fs";
import { uptime } from "node:os";

// Telling a process crash from an operating-system crash, and a live process from a dead
// one. After a process crash everything it wrote is in the page cache, so the derived files
// (registry, listing, page indexes: written without fsync) match the synced logs; after an
// OS crash or power loss they may lag, and are rebuilt. The boot a store's derived files
// match is recorded in store.json; the lock records its holder's boot, pid and start time.

/** This machine's boot: Linux's random boot id, else the boot time in minutes (compared with tolerance). */
export function currentBoot(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return `t:${Math.round((Date.now() - uptime() * 1000) / 60_000)}`;
  }
}

/** Whether two boots recorded by {@link currentBoot} are the same (boot times may drift by a minute). */
export function sameBoot(a: string, b: string): boolean {
  if (a === b) return true;
  if (!a.startsWith("t:") || !b.startsWith("t:")) return false;
  return Math.abs(Number(a.slice(2)) - Number(b.slice(2))) <= 1;
}

/** A process's start time in clock ticks since boot (Linux /proc), or 0 when unknown. */
export function processStart(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22, counted after the parenthesised command name (which may hold spaces).
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]) || 0;
  } catch {
    return 0;
  }
}

/** Whether the process `pid`, started at `start` (0: unknown) during `boot`, still runs. */
export function isAlive(pid: number, start: number, boot: string): boolean {
  if (!sameBoot(boot, currentBoot())) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  // A recycled pid: the process with that pid started at another time.
  return start === 0 || processStart(pid) === 0 || processStart(pid) === start;
}
