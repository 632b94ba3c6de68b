// Builds the browser app into a directory: index.html, main.js (the app and the SDK bundled
// with esbuild, as an app's bundler would) and, when given, config.json.
import { copyFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { AppConfig } from "./settings.js";

const HERE = dirname(fileURLToPath(import.meta.url));

/** Bundle `main.ts` for the browser into `outdir/main.js` and copy `index.html` next to it. */
export async function buildBrowserApp(outdir: string): Promise<void> {
  await build({
    entryPoints: [join(HERE, "main.ts")],
    outfile: join(outdir, "main.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: "inline",
    logLevel: "silent",
  });
  copyFileSync(join(HERE, "index.html"), join(outdir, "index.html"));
}

/** Write the `config.json` the page reads on every load: where the runtime is. */
export function writeAppConfig(outdir: string, config: AppConfig): void {
  writeFileSync(join(outdir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
}
