import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// The declarations users get (npm test builds them first): nothing marked @internal in them,
// and they compile, ESM and CommonJS, with skipLibCheck off.
const root = join(import.meta.dirname, "../..");
const dist = join(root, "dist");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return declarationFiles(path);
    return /\.d\.c?ts$/.test(entry.name) ? [path] : [];
  });
}

describe("the published declarations", () => {
  it("exist (run `npx tsup` before this suite)", () => {
    expect(existsSync(join(dist, "index.d.ts"))).toBe(true);
  });

  it("hold no @internal member", () => {
    const files = declarationFiles(dist);
    expect(files.length).toBeGreaterThanOrEqual(10);
    const leaks = files.flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, index) => (line.includes("@internal") ? [`${file.slice(dist.length + 1)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(leaks).toEqual([]);
    // Session's plumbing in particular (its recorder, permission desk and binding hooks).
    const session = /declare class Session \{[\s\S]*?\n\}/.exec(readFileSync(join(dist, "index.d.ts"), "utf8"))?.[0] ?? "";
    expect(session).toContain("prompt(");
    for (const member of ["readonly recorder", "readonly permissions", "emit(", "attachNew(", "bound(", "markDestroyed("]) {
      expect(session).not.toContain(member);
    }
  });

  it("compile in a program that imports the package by name, ESM and CommonJS", { timeout: 60_000 }, async () => {
    const output = await promisify(execFile)(process.execPath, [tsc, "-p", join(root, "test/types/tsconfig.published.json")], { cwd: root }).then(
      () => "",
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ""}${error.stderr ?? ""}`.trim(),
    );
    expect(output).toBe("");
  });
});
