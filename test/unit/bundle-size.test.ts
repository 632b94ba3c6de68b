import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

// What a browser app pays for the client and the IndexedDB driver: minified ESM for the
// browser platform, gzipped, as docs/bundle-size.md explains. Two budgets, checked here so
// that growth fails the suite: the whole bundle, and the part this project controls (its own
// code, with zod and the ACP SDK left out: the SDK's root entry imports zod/v4, about 92 KB
// gzip of the whole, whatever this project does).

const ENTRY = `
export { SandboxAgent } from "./src/index.ts";
export { IndexedDbSessionPersistDriver } from "./drivers/indexeddb.ts";
`;

/** Budgets in bytes of gzip (level 9). Raise them only with a reason in the commit. */
const BUDGET = { whole: 142 * 1024, ours: 34 * 1024 };

async function gzipBytes(external: string[]): Promise<{ min: number; gzip: number; inputs: Record<string, number> }> {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    metafile: true,
    external,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  const output = Object.values(result.metafile.outputs)[0]!;
  const inputs: Record<string, number> = {};
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split("/").slice(0, 2).join("/");
    inputs[pkg] = (inputs[pkg] ?? 0) + bytesInOutput;
  }
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength, inputs };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

describe("browser bundle (client + IndexedDB driver)", () => {
  it("stays within its budgets, whole and for this project's own code", async () => {
    const whole = await gzipBytes([]);
    const ours = await gzipBytes(["zod", "zod/*", "@agentclientprotocol/*"]);
    const breakdown = Object.entries(whole.inputs)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([name, bytes]) => `${name} ${kb(bytes)} min`)
      .join(", ");
    const report = `whole ${kb(whole.gzip)} gzip (${kb(whole.min)} min; ${breakdown}); own code ${kb(ours.gzip)} gzip`;
    expect(whole.gzip, report).toBeLessThanOrEqual(BUDGET.whole);
    expect(ours.gzip, report).toBeLessThanOrEqual(BUDGET.ours);
    // Tree-shaking holds: no server-side driver library reaches a browser bundle.
    expect(Object.keys(whole.inputs).filter((name) => /^(pg|better-sqlite3|ioredis|ws)$/.test(name)), report).toEqual([]);
  }, 60_000);
});
