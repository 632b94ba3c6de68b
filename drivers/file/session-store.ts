import { BackedSessionStore } from "../../src/session-store/store.js";
import type { FoldSessionSummary } from "../../src/session-store/types.js";
import { resolveFileOptions, type FileOptions } from "./options.js";
import { FileSessionStoreBackend } from "./store-backend.js";

/** Options of `FileSessionStore`: the directory, fsync policy and lock timeout, as for the driver, and the summary fold. */
export interface FileSessionStoreOptions extends FileOptions {
  /**
   * The fold that maintains session summaries inside `append`. Default: `foldSessionSummary`
   * of `@anthropic-ai/claude-agent-sdk`, imported on the first append to a main transcript.
   */
  foldSessionSummary?: FoldSessionSummary;
}

/**
 * The Claude Agent SDK's `SessionStore` in plain files, pure Node: pass it as `sessionStore`
 * to `query()`, `listSessions()`, `getSessionMessages()`. An append-only JSONL file per
 * transcript, synced, and a meta.json per session that commits each append (sizes, mtimes
 * and the summary folded from exactly the entries stored) by temp file + rename; entries
 * stored once per `uuid` per transcript; writes serialized across processes by the
 * directory's write lock. Under `<directory>/claude/`, so it can share a directory with
 * `FileSessionPersistDriver`. See docs/drivers/file.md.
 *
 * ```ts
 * const sessionStore = new FileSessionStore({ directory: "./sessions" });
 * ```
 */
export class FileSessionStore extends BackedSessionStore {
  /** @throws PersistValidationError on bad options. Nothing is touched on disk until the first write. */
  constructor(options: FileSessionStoreOptions) {
    super("FileSessionStore", new FileSessionStoreBackend(resolveFileOptions(options, "file session store options")), options.foldSessionSummary);
  }
}
