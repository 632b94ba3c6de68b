import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** Absolute path of the repository root (the directory holding `harness/`). */
export const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Absolute path of the `sandbox-agent` 0.4.2 binary shipped by the `@sandbox-agent/cli-linux-x64` dev dependency. */
export const SANDBOX_AGENT_BIN = join(REPO_ROOT, "node_modules/@sandbox-agent/cli-linux-x64/bin/sandbox-agent");

/** Absolute path of the scripted agent's stdio entry point (TypeScript source). */
export const SCRIPTED_AGENT_ENTRY = join(REPO_ROOT, "harness/scripted-agent/stdio.ts");
