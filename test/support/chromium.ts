import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import { ensureDebianPackage } from "../../harness/debian.js";

// The real-browser harness: Debian's Chromium driven by playwright-core, a static file
// server on loopback (IndexedDB needs a real origin), and the SDK built for the browser.
//
//   const harness = await startBrowserHarness({ pages: "test/browser/pages" });
//   const page = await harness.open("/indexeddb-driver.html");
//   await callPage(page, "writeSession", ...args);   // a function the page put on window
//   await page.reload(); await waitForPage(page);
//   await harness.close();
//
// Pages import the SDK from /sdk/<entry>.js (see SDK_ENTRIES); anything else they need can
// be served with extra routes.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Make sure Chromium is installed: when it is missing and we are root, install Debian's
 * package (about 35 s) the way every script does (harness/debian.ts). Never downloads a
 * browser from anywhere else.
 * @returns the executable path.
 */
export function ensureChromium(): string {
  ensureDebianPackage("chromium", () => existsSync(CHROMIUM_PATH));
  return CHROMIUM_PATH;
}

/** Launch headless Chromium (installing it first when needed). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS, headless: true });
}

/** The SDK entries built for pages, served as /sdk/<name>.js. */
export const SDK_ENTRIES: Readonly<Record<string, string>> = {
  index: "src/index.ts",
  indexeddb: "drivers/indexeddb.ts",
};

/**
 * Build the SDK for the browser into `outdir`: one ES module per entry of
 * {@link SDK_ENTRIES}, with shared chunks (so an error class is the same class whichever
 * entry a page got it from) and the dependencies (`idb`, `zod`, ...) bundled in, as an
 * app's bundler would. Built from the sources by default; with `DURABLE_AGENT_SDK_DIST`
 * set to a directory built by tsup (`dist` after `npm run build`), from those files instead.
 */
export async function buildBrowserSdk(outdir: string): Promise<void> {
  const dist = process.env.DURABLE_AGENT_SDK_DIST;
  const entryPoints = Object.entries(SDK_ENTRIES).map(([out, source]) => ({
    in: dist ? distFileOf(resolve(ROOT, dist), source) : join(ROOT, source),
    out,
  }));
  await build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: "inline",
    logLevel: "silent",
  });
}

/** The tsup output for a source entry: `src/index.ts` -> `<dist>/index.js`, `drivers/x.ts` -> `<dist>/drivers/x.js`. */
function distFileOf(dist: string, source: string): string {
  const file = join(dist, source.replace(/^src\//, "").replace(/\.ts$/, ".js"));
  if (!existsSync(file)) throw new Error(`${file} is missing: build the SDK first (npm run build)`);
  return file;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** A running static server. */
export interface StaticServer {
  /** Origin, e.g. `http://127.0.0.1:43117`. */
  url: string;
  /** Stop serving. */
  close(): Promise<void>;
}

/**
 * Serve directories on 127.0.0.1 at a free port. `routes` maps a URL prefix to a
 * directory, e.g. `{ "/sdk/": sdkDir, "/": pagesDir }`; the longest matching prefix wins.
 * Files only (no listings), nothing outside the mapped directories, no caching.
 */
export async function serveStatic(routes: Readonly<Record<string, string>>): Promise<StaticServer> {
  const prefixes = Object.keys(routes).sort((a, b) => b.length - a.length);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    const prefix = prefixes.find((p) => path.startsWith(p));
    const root = prefix === undefined ? undefined : resolve(routes[prefix]!);
    const file = root === undefined ? undefined : normalize(join(root, path.slice(prefix!.length)));
    if (!root || !file || !(file === root || file.startsWith(root + sep)) || !isFile(file)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Errors a page reported: uncaught exceptions and `console.error` lines. */
export interface PageProblems {
  /** Messages, in order. */
  readonly messages: string[];
}

/** The browser, the server and the built SDK, ready to open pages. */
export interface BrowserHarness {
  /** The running browser. */
  browser: Browser;
  /** Origin of the static server. */
  url: string;
  /**
   * Open `path` (on the harness's origin) in a new page of a fresh browser context and wait
   * until the page's scripts have signalled readiness (see {@link waitForPage}). Uncaught
   * page errors and console errors are collected in the returned `problems`.
   */
  open(path: string): Promise<{ page: Page; problems: PageProblems }>;
  /** Close the browser and the server, and remove the built SDK. */
  close(): Promise<void>;
}

/** Options of {@link startBrowserHarness}. */
export interface BrowserHarnessOptions {
  /** Directory of test pages, served at `/`. */
  pages: string;
  /** More directories to serve, URL prefix to directory. */
  routes?: Readonly<Record<string, string>>;
}

/** Build the SDK, serve it at `/sdk/` with the pages at `/`, and launch Chromium. */
export async function startBrowserHarness(options: BrowserHarnessOptions): Promise<BrowserHarness> {
  const sdkDir = mkdtempSync(join(tmpdir(), "durable-agent-browser-sdk-"));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(sdkDir, { recursive: true, force: true })];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    await buildBrowserSdk(sdkDir);
    const server = await serveStatic({ ...options.routes, "/sdk/": sdkDir, "/": options.pages });
    cleanups.push(() => server.close());
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    return {
      browser,
      url: server.url,
      async open(path) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const problems: PageProblems = { messages: [] };
        page.on("pageerror", (error) => problems.messages.push(`uncaught: ${error.message}`));
        page.on("console", (message) => {
          if (message.type() === "error") {
            problems.messages.push(`console.error: ${message.text()} (${message.location().url || "page"})`);
          }
        });
        await page.goto(new URL(path, server.url).href);
        await waitForPage(page);
        return { page, problems };
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * Wait until the page's module scripts have run: pages set `window.pageReady = true` when
 * their functions are in place (or `window.pageError` to a message when they failed).
 */
export async function waitForPage(page: Page, timeoutMs = 15_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const w = window as unknown as { pageReady?: boolean; pageError?: string };
      return w.pageReady === true || typeof w.pageError === "string";
    },
    undefined,
    { timeout: timeoutMs },
  );
  const failure = await page.evaluate(() => (window as unknown as { pageError?: string }).pageError);
  if (failure !== undefined) throw new Error(`the page failed to start: ${failure}`);
}

/**
 * Call `window[name](...args)` in the page and return its (awaited, JSON-cloned) result.
 * A rejection in the page rethrows here with the page's `name: message`.
 */
export async function callPage<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  const outcome = await page.evaluate(
    async ([fnName, fnArgs]) => {
      const fn = (window as unknown as Record<string, unknown>)[fnName as string];
      if (typeof fn !== "function") return { ok: false, error: `window.${String(fnName)} is not a function` };
      try {
        return { ok: true, value: await (fn as (...a: unknown[]) => unknown)(...(fnArgs as unknown[])) };
      } catch (error) {
        const e = error as { name?: string; message?: string; code?: string };
        return { ok: false, error: `${e.name ?? "Error"}${e.code ? ` [${e.code}]` : ""}: ${e.message ?? String(error)}` };
      }
    },
    [name, args] as const,
  );
  if (!outcome.ok) throw new Error(`${name}() failed in the page: ${outcome.error}`);
  return outcome.value as T;
}
