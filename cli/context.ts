import { openStore, type OpenMode, type OpenStore } from "./open-store.js";
import type { Output } from "./output.js";
import { parseStoreUrl } from "./store-url.js";

/** What every command gets besides its arguments. */
export interface CommandContext {
  /** Where results and messages go. */
  readonly out: Output;
  /** Aborted on SIGINT/SIGTERM: long commands stop after the step under way. */
  readonly signal: AbortSignal;
}

/** Open the store at `url`, run `use` on it, and close it whatever happens. */
export async function withStore<T>(url: string, mode: OpenMode, use: (store: OpenStore) => Promise<T>): Promise<T> {
  const store = await openStore(parseStoreUrl(url), mode);
  try {
    return await use(store);
  } finally {
    await store.close().catch(() => undefined);
  }
}
