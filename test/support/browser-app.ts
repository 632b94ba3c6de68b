import type { BrowserContext, Page } from "playwright-core";
import type { SessionEvent, SessionRecord } from "../../src/index.js";
import { DATABASE_NAME } from "../../examples/browser-app/settings.js";
import { callPage, waitForPage, type BrowserHarness, type PageProblems } from "./chromium.js";

// Driving examples/browser-app in Chromium the way a user does (type, send, read the
// screen), plus a second tab that reads what the app stored in IndexedDB.
//
//   const app = await openApp(harness);            // a fresh browser context: empty storage
//   const reply = await sendPrompt(app.page, "hi"); // the agent's reply as shown
//   const { record, events } = await readStore(app.page.context(), sessionId);

/** Where the store reader page is served (see `test/browser/reload-pages/`). */
export const STORE_READER_ROUTE = "/store/";

/** The app's status line. */
export interface AppStatus {
  /** `data-state`: starting, ready, busy or error. */
  state: string;
  /** The text shown. */
  text: string;
}

/** One chat message on screen. */
export interface ShownMessage {
  kind: "user" | "agent" | "note";
  text: string;
}

/** Open the app in a new browser context and wait until it has connected (or failed); `query` e.g. `"?encrypt=1"`. */
export async function openApp(harness: BrowserHarness, query = ""): Promise<{ page: Page; problems: PageProblems; status: AppStatus }> {
  const context = await harness.browser.newContext();
  const page = await context.newPage();
  const problems: PageProblems = { messages: [] };
  page.on("pageerror", (error) => problems.messages.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.messages.push(`console.error: ${message.text()}`);
  });
  await page.goto(new URL(`/index.html${query}`, harness.url).href);
  return { page, problems, status: await settledStatus(page) };
}

/** Reload the app and wait until it has connected again (or failed). */
export async function reloadApp(page: Page): Promise<AppStatus> {
  await page.reload();
  return settledStatus(page);
}

/** Wait until the status is no longer starting or busy; returns it. */
export async function settledStatus(page: Page, timeoutMs = 30_000): Promise<AppStatus> {
  await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: timeoutMs });
  return page.$eval("#status", (el) => ({ state: (el as HTMLElement).dataset.state ?? "", text: el.textContent ?? "" }));
}

/** Type `text` into the composer, send it, and wait for the turn to end; returns the status and the agent's last message. */
export async function sendPrompt(page: Page, text: string): Promise<{ status: AppStatus; reply: string }> {
  await page.fill("#prompt", text);
  await page.click("#send");
  const status = await settledStatus(page);
  const shown = await shownMessages(page);
  const reply = shown.filter((m) => m.kind === "agent").at(-1)?.text ?? "";
  return { status, reply };
}

/** The chat messages on screen, in order. */
export function shownMessages(page: Page): Promise<ShownMessage[]> {
  return page.$$eval(".message", (els) =>
    els.map((el) => ({ kind: el.classList[1] as "user" | "agent" | "note", text: el.textContent ?? "" })),
  );
}

/** The session id the app shows (kept in localStorage). */
export async function shownSessionId(page: Page): Promise<string> {
  return (await page.textContent("#session-id")) ?? "";
}

/** Read the app's stored session and events from a second tab of the same context, through a driver of its own. */
export async function readStore(context: BrowserContext, harnessUrl: string, sessionId: string): Promise<{ record: SessionRecord | null; events: SessionEvent[] }> {
  const reader = await context.newPage();
  try {
    await reader.goto(new URL(`${STORE_READER_ROUTE}store-reader.html`, harnessUrl).href);
    await waitForPage(reader);
    return await callPage(reader, "readStore", DATABASE_NAME, sessionId);
  } finally {
    await reader.close();
  }
}

/** The text blocks of the client's `session/prompt` requests among `events`, one array per prompt. */
export function sentPrompts(events: readonly SessionEvent[]): string[][] {
  return events
    .filter((e) => e.sender === "client" && "method" in e.payload && e.payload.method === "session/prompt")
    .map((e) => ((e.payload as { params?: { prompt?: { type: string; text?: string }[] } }).params?.prompt ?? []).map((b) => b.text ?? ""));
}

/**
 * Everything in the IndexedDB database `name` as a user with the profile's files (or devtools)
 * would see it: every value of every object store, read with the raw IndexedDB API in `page`'s
 * origin, as JSON text (bytes as their latin1 text).
 */
export function rawIndexedDb(page: Page, name: string): Promise<string> {
  return page.evaluate(async (databaseName) => {
    const done = <T>(req: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((req.onsuccess = () => resolve(req.result)), (req.onerror = () => reject(req.error))));
    const known = (await indexedDB.databases()).some((d) => d.name === databaseName);
    if (!known) throw new Error(`no IndexedDB database ${databaseName}`);
    const db = await done(indexedDB.open(databaseName));
    try {
      const dump: Record<string, unknown[]> = {};
      for (const store of Array.from(db.objectStoreNames)) dump[store] = await done(db.transaction(store).objectStore(store).getAll());
      return JSON.stringify(dump, (_key, value: unknown) =>
        value instanceof Uint8Array || value instanceof ArrayBuffer ? String.fromCharCode(...new Uint8Array(value as ArrayBuffer)) : value,
      );
    } finally {
      db.close();
    }
  }, name);
}
