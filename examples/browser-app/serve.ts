// Runs the browser app locally against the bundled runtime:
//
//   node --import tsx examples/browser-app/serve.ts [--port 8317]
//
// Builds the app, serves it on http://127.0.0.1:<port>, starts the real sandbox-agent runtime
// (scripted agent `mock`) with CORS allowing that origin, and prints the URL. Press Enter to
// restart the runtime under the open page; Ctrl-C stops everything. The page's port is fixed
// (IndexedDB belongs to the origin), so conversations outlive this script as well.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startRuntime } from "../../harness/index.js";
import { buildBrowserApp, writeAppConfig } from "./build.js";

const FILES: Readonly<Record<string, string>> = {
  "/": "index.html",
  "/index.html": "index.html",
  "/main.js": "main.js",
  "/config.json": "config.json",
};
const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json; charset=utf-8",
};

const { values } = parseArgs({ options: { port: { type: "string", default: "8317" } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  console.error(`--port must be a TCP port, got ${values.port}`);
  process.exit(2);
}

const outdir = mkdtempSync(join(tmpdir(), "durable-agent-browser-app-"));
await buildBrowserApp(outdir);

const server = createServer((req, res) => {
  const file = FILES[new URL(req.url ?? "/", "http://localhost").pathname];
  if (file === undefined) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    return;
  }
  res.writeHead(200, { "content-type": TYPES[file.split(".").pop()!]!, "cache-control": "no-store" });
  res.end(readFileSync(join(outdir, file)));
});
await new Promise<void>((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", resolve);
});
const origin = `http://127.0.0.1:${port}`;

const runtime = await startRuntime({ corsAllowOrigin: origin });
writeAppConfig(outdir, { baseUrl: runtime.baseUrl, token: runtime.token, agent: "mock" });

console.log(`browser app:  ${origin}/`);
console.log(`runtime:      ${runtime.baseUrl} (scripted agent "mock", log ${runtime.logFile})`);
console.log("Press Enter to restart the runtime, Ctrl-C to stop.");

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdin.pause();
  server.closeAllConnections();
  server.close();
  await runtime.stop();
  rmSync(outdir, { recursive: true, force: true });
  process.exit(0);
}
process.once("SIGINT", () => void shutdown());
process.once("SIGTERM", () => void shutdown());

process.stdin.on("data", () => {
  if (stopping) return;
  runtime.restart().then(
    () => console.log(`runtime restarted (pid ${runtime.pid}); the page's next prompt restores the session`),
    (error: Error) => console.error(`restart failed: ${error.message}`),
  );
});
process.stdin.on("end", () => undefined);
