import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT, SCRIPTED_AGENT_ENTRY } from "./paths.js";
import { SCRIPTED_AGENT_CONFIG_ENV } from "./scripted-agent/config.js";

/**
 * How the `mock-acp` launcher runs the scripted agent:
 * - `"bundle"`: a single ESM file built with esbuild (agent start about 130 ms here); falls back
 *   to `"tsx"` when esbuild cannot be loaded;
 * - `"tsx"`: the TypeScript source through tsx's loader (about 420 ms here, no build step).
 */
export type AgentLaunchMode = "bundle" | "tsx";

/** The agent id under which the runtime runs the scripted agent. */
export const SCRIPTED_AGENT_ID = "mock";

let bundled: Promise<string> | undefined;

/** Bundles the stdio entry and its dependencies into one ESM module's source (built once per process). */
function bundleSource(): Promise<string> {
  bundled ??= (async () => {
    const esbuild = await import("esbuild");
    const out = await esbuild.build({
      entryPoints: [SCRIPTED_AGENT_ENTRY],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      logLevel: "silent",
      absWorkingDir: REPO_ROOT,
    });
    const file = out.outputFiles[0];
    if (file === undefined) throw new Error("esbuild produced no output for the scripted agent");
    return file.text;
  })();
  bundled.catch(() => {
    bundled = undefined;
  });
  return bundled;
}

/**
 * Writes `<xdgDataHome>/sandbox-agent/bin/agent_processes/mock-acp`, the executable the runtime
 * spawns for agent id `mock`, so that it runs the scripted agent configured by `configPath`.
 * Returns the launcher's path.
 */
export async function writeAgentLauncher(options: {
  xdgDataHome: string;
  configPath: string;
  /** Where a bundle is written when `mode` is `"bundle"`. */
  workDir: string;
  mode: AgentLaunchMode;
}): Promise<string> {
  let command: string | undefined;
  if (options.mode === "bundle") {
    // esbuild comes with tsx/tsup/vite; without it, fall back to the (slower) tsx loader.
    const source = await bundleSource().catch(() => undefined);
    if (source !== undefined) {
      const bundlePath = join(options.workDir, "scripted-agent.mjs");
      writeFileSync(bundlePath, source);
      command = `exec ${shellQuote(process.execPath)} ${shellQuote(bundlePath)} "$@"`;
    }
  }
  if (command === undefined) {
    const loader = pathToFileURL(createRequire(join(REPO_ROOT, "package.json")).resolve("tsx")).href;
    command = `exec ${shellQuote(process.execPath)} --import ${shellQuote(loader)} ${shellQuote(SCRIPTED_AGENT_ENTRY)} "$@"`;
  }
  const dir = join(options.xdgDataHome, "sandbox-agent/bin/agent_processes");
  mkdirSync(dir, { recursive: true });
  const launcher = join(dir, `${SCRIPTED_AGENT_ID}-acp`);
  writeFileSync(
    launcher,
    `#!/bin/sh\n${SCRIPTED_AGENT_CONFIG_ENV}=${shellQuote(options.configPath)}\nexport ${SCRIPTED_AGENT_CONFIG_ENV}\n${command}\n`,
  );
  chmodSync(launcher, 0o755);
  return launcher;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
