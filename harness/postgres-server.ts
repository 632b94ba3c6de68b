import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ensureDebianPackage } from "./debian.js";
import { childPids, signalPids, waitStopped } from "./process-freeze.js";
import { freePort } from "./runtime.js";

// A throwaway PostgreSQL server for the test run, the demo and the bench: initdb into a temp
// dir, start on a free loopback port (socket in the same dir), stop and remove everything
// afterwards. Tests switch durability off (fsync, synchronous_commit) for speed; the bench
// asks for `durable: true`, since its figures claim durability.

const run = promisify(execFile);

/** A running test server. */
export interface PostgresServer {
  /** Connection string of the `postgres` database as superuser `postgres`. */
  url: string;
  /**
   * SIGSTOP the postmaster and every backend it forked (found through /proc), so that
   * queries on connections already open stall and new connections are not served. Resolves
   * once /proc shows them all stopped.
   */
  freeze(): Promise<void>;
  /** SIGCONT what {@link freeze} stopped; resolves once they all run again. No-op when not frozen. */
  thaw(): Promise<void>;
  /** Thaw if frozen, stop the server and delete its data directory. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Keep fsync and synchronous_commit on (for measurements that claim durability). */
  durable?: boolean;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

function findBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(a) - Number(b));
  const newest = versions[versions.length - 1];
  return newest === undefined ? undefined : join(root, newest, "bin");
}

/** The PostgreSQL server binaries, installing the Debian package when absent and allowed (harness/debian.ts). */
function binDir(): string {
  ensureDebianPackage("postgresql", () => findBinDir() !== undefined);
  return findBinDir() as string;
}

/** Run a server binary as the `postgres` user when root (PostgreSQL refuses to run as root). */
async function asPostgres(bin: string, args: string[]): Promise<void> {
  if (isRoot()) await run("runuser", ["-u", "postgres", "--", bin, ...args]);
  else await run(bin, args);
}

/** The postmaster's pid: the first line of `<data>/postmaster.pid`; 0 when it cannot be read. */
function postmasterPid(data: string): number {
  try {
    const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return 0;
  }
}

/** Freezes and thaws one server's processes: the postmaster first, then its children. */
class Freezer {
  private frozen: number[] = [];

  constructor(private readonly data: string) {}

  async freeze(): Promise<void> {
    const postmaster = postmasterPid(this.data);
    if (postmaster === 0) throw new Error("freeze(): PostgreSQL is not running (no postmaster.pid)");
    // The postmaster first, so that it forks no backend after its children were listed.
    signalPids([postmaster], "SIGSTOP");
    await waitStopped([postmaster], true);
    const children = childPids(postmaster);
    signalPids(children, "SIGSTOP");
    this.frozen = [...new Set([...this.frozen, postmaster, ...children])];
    await waitStopped(this.frozen, true);
  }

  async thaw(): Promise<void> {
    const pids = this.frozen;
    this.frozen = [];
    signalPids(pids, "SIGCONT");
    await waitStopped(pids, false);
  }

  /** Synchronous thaw for the exit hook: continue everything, wait for nothing. */
  thawNow(): void {
    signalPids(this.frozen, "SIGCONT");
    this.frozen = [];
  }
}

/** Start a fresh server on a free loopback port; resolves once it accepts connections. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = binDir();
  const dir = await mkdtemp(join(tmpdir(), "durable-agent-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "log");
  try {
    if (isRoot()) {
      const { stdout } = await run("id", ["-u", "postgres"]);
      const { stdout: gid } = await run("id", ["-g", "postgres"]);
      await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    await asPostgres(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
    const settings = ["-c listen_addresses=127.0.0.1", `-k ${dir}`, "-c max_connections=300"];
    if (!options.durable) settings.push("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off");
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      try {
        await asPostgres(join(bin, "pg_ctl"), ["-D", data, "-l", log, "-w", "-t", "60", "-o", `${settings.join(" ")} -p ${port}`, "start"]);
        let stopped = false;
        const freezer = new Freezer(data);
        // Should the process exit without calling stop() (a crashed run), still take the
        // server down: thaw it, immediate shutdown of the postmaster, then remove its directory.
        const onExit = () => {
          freezer.thawNow();
          const pid = postmasterPid(data);
          if (pid > 0) signalPids([pid], "SIGQUIT");
          rmSync(dir, { recursive: true, force: true });
        };
        process.once("exit", onExit);
        return {
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          freeze: () => freezer.freeze(),
          thaw: () => freezer.thaw(),
          async stop() {
            if (stopped) return;
            stopped = true;
            process.off("exit", onExit);
            await freezer.thaw().catch(() => freezer.thawNow());
            await asPostgres(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch (error) {
        lastError = error; // most likely the port was taken in between: try another one
      }
    }
    const tail = await readFile(log, "utf8").catch(() => "");
    throw new Error(`PostgreSQL did not start: ${String(lastError)}\n${tail.slice(-2000)}`);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
