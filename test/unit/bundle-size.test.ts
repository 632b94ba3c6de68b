import { gzipSync } from "node:zlib";
import { build, type Metafile, type OutputFile } from "esbuild";
import { describe, expect, it } from "vitest";

// What a browser app pays for the client and the IndexedDB driver: minified ESM for the
// browser platform, gzipped, as docs/bundle-size.md explains. Two budgets, checked here so
// that growth fails the suite: the whole bundle, and the part this project controls (its own
// code, with zod and the ACP SDK left out: the SDK's root entry imports zod/v4, about 91 KB
// gzip of the whole, whatever this project does).
//
// Built with code splitting, as an app's bundler builds it: what a feature loads with
// `import()` on first use (fork, retention, followers, leases, agent state snapshots, the
// stream redactor, the control routes, the ACP SDK's transport clients) lands in chunks of
// its own. The budgets are for what loads up front: the
// entry chunk and every chunk it imports statically. The lazy chunks are measured too, and
// must stay lazy: none of them may be imported statically.

const ENTRY = `
export { SandboxAgent } from "./src/index.ts";
export { IndexedDbSessionPersistDriver } from "./drivers/indexeddb.ts";
`;

/** Budgets in bytes of gzip (level 9) of the up-front chunks. Raise them only with a reason in the commit. */
const BUDGET = { whole: 151.5 * 1024, ours: 45.5 * 1024 };

/** Source files whose code must load only on first use (see docs/bundle-size.md). */
const LAZY_SOURCES = [
  "src/lifecycle/fork-copy.ts",
  "src/lifecycle/retention-run.ts",
  "src/lifecycle/trim-cut.ts",
  "src/client/follower.ts",
  "src/client/lease-holding.ts",
  "src/client/web-locks.ts",
  "src/client/page-gone.ts",
  "src/client/agent-state-work.ts",
  "src/agent-state/snapshotter.ts",
  "src/agent-state/restorer.ts",
  "src/transport/sandbox-agent-fs.ts",
  "src/transport/sandbox-agent-api.ts",
  "src/redaction/stream.ts",
];

/** The ACP SDK's transport clients, loaded by the acp-websocket and acp-http transports' first channel. */
const LAZY_PACKAGE_FILES = [
  "node_modules/@agentclientprotocol/sdk/dist/transports/http-stream.js",
  "node_modules/@agentclientprotocol/sdk/dist/transports/ws-stream.js",
];

interface Measured {
  /** Bytes of the up-front chunks, minified and gzipped. */
  min: number;
  gzip: number;
  /** Minified bytes of the up-front chunks by package or source folder. */
  inputs: Record<string, number>;
  /** Source files in the up-front chunks. */
  upFrontFiles: Set<string>;
  /** Minified bytes of the chunks loaded on first use. */
  lazyMin: number;
}

async function measure(external: string[]): Promise<Measured> {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    splitting: true,
    outdir: "bundle-size-out",
    write: false,
    metafile: true,
    external,
    logLevel: "silent",
  });
  const outputs: Metafile["outputs"] = result.metafile.outputs;
  const contents = new Map<string, OutputFile>();
  for (const file of result.outputFiles) contents.set(file.path.slice(file.path.lastIndexOf("bundle-size-out/")), file);
  // The entry chunk and, transitively, what it imports statically (each chunk loaded with
  // `import()` is an entry point of its own in the metafile: only the app's entry counts here).
  const upFront = new Set<string>();
  const pending = Object.keys(outputs).filter((name) => outputs[name]!.entryPoint === "entry.ts");
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (upFront.has(name)) continue;
    upFront.add(name);
    for (const imported of outputs[name]!.imports) if (imported.kind === "import-statement" && outputs[imported.path]) pending.push(imported.path);
  }
  const bytesOf = (names: string[]) => Buffer.concat(names.map((name) => contents.get(name.slice(name.lastIndexOf("bundle-size-out/")))!.contents));
  const code = bytesOf([...upFront]);
  const inputs: Record<string, number> = {};
  const upFrontFiles = new Set<string>();
  let lazyMin = 0;
  for (const [name, output] of Object.entries(outputs)) {
    if (!upFront.has(name)) {
      lazyMin += output.bytes;
      continue;
    }
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput > 0) upFrontFiles.add(file);
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split("/").slice(0, 2).join("/");
      inputs[pkg] = (inputs[pkg] ?? 0) + bytesInOutput;
    }
  }
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength, inputs, upFrontFiles, lazyMin };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

describe("browser bundle (client + IndexedDB driver)", () => {
  it("stays within its budgets, whole and for this project's own code, with each feature's code loaded on first use", async () => {
    const whole = await measure([]);
    const ours = await measure(["zod", "zod/*", "@agentclientprotocol/*"]);
    const breakdown = Object.entries(whole.inputs)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([name, bytes]) => `${name} ${kb(bytes)} min`)
      .join(", ");
    const report =
      `up front: whole ${kb(whole.gzip)} gzip (${kb(whole.min)} min; ${breakdown}); own code ${kb(ours.gzip)} gzip (${kb(ours.min)} min); ` +
      `on first use: ${kb(ours.lazyMin)} min`;
    expect(whole.gzip, report).toBeLessThanOrEqual(BUDGET.whole);
    expect(ours.gzip, report).toBeLessThanOrEqual(BUDGET.ours);
    // What is lazy stays lazy: a static import of one of these would pull it up front again.
    expect(LAZY_SOURCES.filter((file) => ours.upFrontFiles.has(file)), report).toEqual([]);
    expect(LAZY_PACKAGE_FILES.filter((file) => whole.upFrontFiles.has(file)), report).toEqual([]);
    expect(ours.lazyMin, report).toBeGreaterThan(0);
    expect(ours.upFrontFiles.has("src/client/sandbox-agent.ts"), report).toBe(true);
    // Tree-shaking holds: no server-side driver library reaches a browser bundle.
    expect(Object.keys(whole.inputs).filter((name) => /^(pg|better-sqlite3|ioredis|ws)$/.test(name)), report).toEqual([]);
  }, 60_000);
});
