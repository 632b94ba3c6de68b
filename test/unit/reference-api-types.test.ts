import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// The type test of the reference client's session API (test/types/reference-api.ts): the same
// program compiles against this package and against the reference (sandbox-agent 0.4.2).
const root = join(import.meta.dirname, "../..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/** The compiler's complaints about the program under `config`; empty when it compiles. */
async function compile(config: string): Promise<string> {
  try {
    await promisify(execFile)(process.execPath, [tsc, "--noEmit", "-p", join(root, "test/types", config)], { cwd: root });
    return "";
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return `${stdout ?? ""}${stderr ?? ""}`.trim() || String(error);
  }
}

describe("a program written against the reference client's session API", () => {
  it("compiles against the reference itself (the program is faithful to it)", { timeout: 60_000 }, async () => {
    expect(await compile("tsconfig.reference.json")).toBe("");
  });

  it("compiles against durable-agent", { timeout: 60_000 }, async () => {
    expect(await compile("tsconfig.ours.json")).toBe("");
  });
});
