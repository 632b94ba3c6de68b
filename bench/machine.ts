import { cpus, loadavg, platform, release, arch, totalmem } from "node:os";

/** The machine the figures were taken on, for the results file and the table header. */
export function describeMachine(): Record<string, string | number> {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    loadAverage1mAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
