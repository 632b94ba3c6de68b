import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./paths.js";

// Debian packages for the services the launchers start (PostgreSQL, Redis, Chromium). The
// scripts (npm test, npm run bench) install them before anything starts; a launcher run on
// its own (vitest, bench/run.ts) that finds its binary missing installs it through the same
// code: scripts/lib.sh's ensure_debian_packages (apt-get install -y --no-install-recommends,
// apt-get update once when that fails, root only, a message naming the command otherwise).

const LIB = join(REPO_ROOT, "scripts/lib.sh");

/**
 * Make sure the Debian package `name` is installed: nothing to do when `present()` holds
 * (a script installed it already, or it came from elsewhere); otherwise install it as
 * scripts/lib.sh does.
 * @throws Error with scripts/lib.sh's message when it cannot be installed (not root, no
 * apt-get, apt-get failed) or when `present()` still does not hold afterwards.
 */
export function ensureDebianPackage(name: string, present: () => boolean): void {
  if (present()) return;
  const result = spawnSync("bash", ["-c", 'source "$0" && ensure_debian_packages "$@"', LIB, name], {
    env: { ...process.env, LIB_TAG: "harness" },
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const messages = (result.stderr ?? "").trim();
  if (result.status !== 0 || result.error) {
    throw new Error(`${name} is missing and could not be installed: ${result.error?.message ?? messages}`);
  }
  if (messages) process.stderr.write(`${messages}\n`);
  if (!present()) throw new Error(`the Debian package ${name} is installed, but what the project runs from it is missing`);
}
