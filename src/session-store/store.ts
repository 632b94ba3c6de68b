import type { MaybePromise } from "../persist/backend.js";
import { DriverClosedError, PersistError, PersistValidationError } from "../persist/errors.js";
import type { SessionStoreBackend } from "./backend.js";
import { prepareEntries } from "./entries.js";
import { summaryFolder } from "./fold.js";
import { parseProjectKey, parseSessionRef, parseTranscriptKey, transcriptKeyString } from "./keys.js";
import { KeyedQueue } from "./queue.js";
import type {
  FoldSessionSummary,
  SessionKey,
  SessionListing,
  SessionStore,
  SessionStoreEntry,
  SessionSummaryEntry,
} from "./types.js";

/** Options of {@link BackedSessionStore.pruneSessions}. */
export interface PruneSessionsOptions {
  /** Epoch ms: a session whose every transcript last stored something before this is deleted. */
  before: number;
  /** Only sessions of this project (default: every project). */
  projectKey?: string;
}

/**
 * A complete Claude Agent SDK `SessionStore` over a {@link SessionStoreBackend}: every method
 * of the contract, keys and entries checked (`PersistValidationError`, nothing stored),
 * `uuid` de-duplication inside a batch (the backend does it against what is stored), each
 * key's calls in call order, summaries folded with the SDK's `foldSessionSummary` (loaded
 * on first use) and the closed state (`DriverClosedError`).
 */
export class BackedSessionStore implements SessionStore {
  readonly #name: string;
  readonly #backend: SessionStoreBackend;
  readonly #fold: () => Promise<FoldSessionSummary>;
  readonly #queue = new KeyedQueue();
  #closed = false;

  /**
   * @param name the store's class name, for errors (`"SQLiteSessionStore is closed"`).
   * @param backend its storage; the store owns it and closes it in {@link BackedSessionStore.close}.
   * @param fold the summary fold to use; the SDK's `foldSessionSummary` when absent.
   */
  constructor(name: string, backend: SessionStoreBackend, fold: FoldSessionSummary | undefined) {
    this.#name = name;
    this.#backend = backend;
    this.#fold = summaryFolder(fold);
  }

  /**
   * Mirror a batch of transcript entries, after those stored under `key`, in call order. An
   * entry whose `uuid` is already stored under `key` (a retried batch, an import run twice)
   * or appears earlier in the batch is left out; entries without `uuid` are always stored.
   * For the main transcript, the session's summary is folded from what was stored, in the
   * same atomic step. `append(key, [])` does nothing.
   * @throws PersistValidationError for a bad key or entry (nothing is stored).
   */
  async append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void> {
    this.#assertOpen();
    const k = parseTranscriptKey(key);
    const batch = prepareEntries(entries);
    if (batch.length === 0) return;
    return this.#queue.run(transcriptKeyString(k), async () => {
      const summary =
        k.subpath === "" ? { fold: await this.#fold(), key: { projectKey: k.projectKey, sessionId: k.sessionId } } : undefined;
      await this.#call(() => this.#backend.append(k, batch, summary));
    });
  }

  /** Every entry stored under `key`, in order (fresh objects, deep-equal to what was appended); `null` when none is. */
  async load(key: SessionKey): Promise<SessionStoreEntry[] | null> {
    this.#assertOpen();
    const k = parseTranscriptKey(key);
    return this.#call(() => this.#backend.load(k));
  }

  /** The project's sessions (those with a main transcript) and when each last stored an entry (epoch ms). */
  async listSessions(projectKey: string): Promise<SessionListing[]> {
    this.#assertOpen();
    const project = parseProjectKey(projectKey);
    return this.#call(() => this.#backend.listSessions(project));
  }

  /** The summaries of the project's sessions, folded inside `append`; `mtime` is the one `listSessions` gives. */
  async listSessionSummaries(projectKey: string): Promise<SessionSummaryEntry[]> {
    this.#assertOpen();
    const project = parseProjectKey(projectKey);
    return this.#call(() => this.#backend.listSessionSummaries(project));
  }

  /**
   * Delete a transcript: for the main key, the session with its summary and every subpath;
   * for a subpath key, that subpath only. A key never written is a no-op.
   */
  async delete(key: SessionKey): Promise<void> {
    this.#assertOpen();
    const k = parseTranscriptKey(key);
    return this.#queue.run(transcriptKeyString(k), () =>
      this.#call(() => (k.subpath === "" ? this.#backend.deleteSession(k.projectKey, k.sessionId) : this.#backend.deleteTranscript(k))),
    );
  }

  /** The subpaths stored under a session (subagent transcripts), the main transcript left out. */
  async listSubkeys(key: { projectKey: string; sessionId: string }): Promise<string[]> {
    this.#assertOpen();
    const { projectKey, sessionId } = parseSessionRef(key);
    return this.#call(() => this.#backend.listSubkeys(projectKey, sessionId));
  }

  /**
   * Retention: delete every session, with its subagent transcripts and summary, that stored
   * nothing since `options.before`, in one project or in all. Resolves to how many were deleted.
   * @throws PersistValidationError when `before` is not a finite number or `projectKey` is bad.
   */
  async pruneSessions(options: PruneSessionsOptions): Promise<number> {
    this.#assertOpen();
    const before = (options as Partial<PruneSessionsOptions> | undefined)?.before;
    if (typeof before !== "number" || !Number.isFinite(before)) {
      throw new PersistValidationError("pruneSessions options", [{ path: "options.before", message: "must be a finite number (epoch ms)" }]);
    }
    const project = options.projectKey === undefined ? undefined : parseProjectKey(options.projectKey, "options.projectKey");
    return this.#call(() => this.#backend.pruneSessions(before, project));
  }

  /** Let running calls finish, then release the storage. Later calls reject with `DriverClosedError`; closing again is a no-op. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.idle();
    await this.#backend.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new DriverClosedError(this.#name);
  }

  /** Run one backend call; a failure caused by a close under it is `DriverClosedError`. */
  async #call<T>(run: () => MaybePromise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.#closed && !(error instanceof PersistError) ? new DriverClosedError(this.#name, { cause: error }) : error;
    }
  }
}
