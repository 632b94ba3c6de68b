import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { compareCodePoints } from "../../src/persist/cursor.js";
import type { SessionStoreBackend } from "../../src/session-store/backend.js";
import { entriesToStore } from "../../src/session-store/entries.js";
import { foldSummaryJson, summaryEntry } from "../../src/session-store/summary.js";
import type {
  PreparedEntry,
  SessionListing,
  SessionStoreEntry,
  SessionSummaryEntry,
  SummaryFold,
  TranscriptKey,
} from "../../src/session-store/types.js";
import { errno, syncData, syncDirectory, writeAll } from "./io.js";
import { DirectoryLock, withLock } from "./lock.js";
import type { ResolvedFileOptions } from "./options.js";
import { lastActivity, readSessionMeta, writeSessionMeta, type SessionMeta, type TranscriptMeta } from "./store-meta-file.js";
import { SessionStorePaths, transcriptFile } from "./store-paths.js";
import { readText, TranscriptUuids } from "./transcript-uuids.js";

/**
 * The session store in plain files: per session a directory with an append-only JSONL file
 * per transcript and a meta.json that commits every write (sizes, mtimes, summary), replaced
 * by temp file + rename. Writes hold the store's write lock (shared by every process on the
 * directory), so reading the summary, folding exactly the entries stored and committing cannot
 * interleave with another writer; reads take no lock and see the last committed state.
 */
export class FileSessionStoreBackend implements SessionStoreBackend {
  readonly #paths: SessionStorePaths;
  readonly #options: ResolvedFileOptions;
  readonly #lock: DirectoryLock;
  readonly #uuids = new TranscriptUuids();

  /** Nothing is touched on disk until the first write. */
  constructor(options: ResolvedFileOptions) {
    this.#options = options;
    this.#paths = new SessionStorePaths(options.directory);
    this.#lock = new DirectoryLock(this.#paths.lock, options.directory, options.lockTimeoutMs);
  }

  /**
   * Under the lock: skip the entries whose uuid the transcript holds, append the rest in one
   * write (synced), then commit meta.json with the new size, mtime and (main transcript) the
   * summary folded from exactly those entries.
   */
  async append(key: TranscriptKey, entries: readonly PreparedEntry[], summary: SummaryFold | undefined): Promise<void> {
    await this.#write(() => {
      const dir = this.#paths.session(key.projectKey, key.sessionId);
      const meta = readSessionMeta(dir) ?? this.#newMeta(key);
      const transcript: TranscriptMeta = meta.transcripts[key.subpath] ?? { file: transcriptFile(key.subpath), size: 0, mtime: 0 };
      const known = this.#uuids.of(dir, meta, key.subpath, transcript);
      const stored = entriesToStore(entries, (uuid) => known.uuids.has(uuid));
      if (stored.length === 0) return;
      const bytes = Buffer.from(stored.map((entry) => `${entry.json}\n`).join(""), "utf8");
      mkdirSync(dir, { recursive: true });
      const fd = openSync(join(dir, transcript.file), "a+");
      try {
        ftruncateSync(fd, transcript.size); // whatever a crash left after the last commit
        writeAll(fd, bytes, null);
        syncData(fd, this.#options.fsync);
      } finally {
        closeSync(fd);
      }
      const mtime = Math.max(Date.now(), transcript.mtime + 1);
      meta.transcripts[key.subpath] = { file: transcript.file, size: transcript.size + bytes.length, mtime };
      if (summary !== undefined) meta.summary = foldSummaryJson(summary, meta.summary, stored, mtime);
      try {
        writeSessionMeta(dir, meta, this.#options.fsync);
      } catch (error) {
        this.#uuids.forget(dir, key.subpath);
        throw error;
      }
      for (const entry of stored) if (entry.uuid !== null) known.uuids.add(entry.uuid);
      known.size = transcript.size + bytes.length;
    });
  }

  /** meta.json, then the committed bytes of the transcript's file; `null` when the session has no such transcript. */
  load(key: TranscriptKey): SessionStoreEntry[] | null {
    const dir = this.#paths.session(key.projectKey, key.sessionId);
    const meta = readSessionMeta(dir);
    const transcript = meta?.transcripts[key.subpath];
    if (transcript === undefined) return null;
    let text: string;
    try {
      text = readText(join(dir, transcript.file), 0, transcript.size);
    } catch (error) {
      if (errno(error) === "ENOENT") return null; // deleted meanwhile
      throw error;
    }
    const entries: SessionStoreEntry[] = [];
    for (let at = 0; at < text.length; ) {
      const end = text.indexOf("\n", at);
      entries.push(JSON.parse(text.slice(at, end)) as SessionStoreEntry);
      at = end + 1;
    }
    return entries;
  }

  /** One meta.json per session of the project. */
  listSessions(projectKey: string): SessionListing[] {
    return this.#metas(projectKey).flatMap((meta) => {
      const main = meta.transcripts[""];
      return main === undefined ? [] : [{ sessionId: meta.sessionId, mtime: main.mtime }];
    });
  }

  /** One meta.json per session of the project. */
  listSessionSummaries(projectKey: string): SessionSummaryEntry[] {
    return this.#metas(projectKey).flatMap((meta) => {
      const main = meta.transcripts[""];
      return main === undefined || meta.summary === null ? [] : [summaryEntry(meta.sessionId, main.mtime, meta.summary)];
    });
  }

  /** Under the lock: one rename moves the session's directory out, then it is removed. */
  async deleteSession(projectKey: string, sessionId: string): Promise<void> {
    await this.#write(() => this.#removeSession(this.#paths.session(projectKey, sessionId)));
  }

  /** Under the lock: meta.json without the transcript, then its file. */
  async deleteTranscript(key: TranscriptKey): Promise<void> {
    await this.#write(() => {
      const dir = this.#paths.session(key.projectKey, key.sessionId);
      const meta = readSessionMeta(dir);
      const transcript = meta?.transcripts[key.subpath];
      if (meta === undefined || transcript === undefined) return;
      delete meta.transcripts[key.subpath];
      if (Object.keys(meta.transcripts).length === 0) {
        this.#removeSession(dir);
        return;
      }
      writeSessionMeta(dir, meta, this.#options.fsync);
      this.#uuids.forget(dir, key.subpath);
      rmSync(join(dir, transcript.file), { force: true });
    });
  }

  /** The subpaths in meta.json, in code-point order. */
  listSubkeys(projectKey: string, sessionId: string): string[] {
    const meta = readSessionMeta(this.#paths.session(projectKey, sessionId));
    return Object.keys(meta?.transcripts ?? {})
      .filter((subpath) => subpath !== "")
      .sort(compareCodePoints);
  }

  /** Under the lock: every session (of the project, or of all) whose transcripts all stored nothing since `before`. */
  async pruneSessions(before: number, projectKey: string | undefined): Promise<number> {
    return this.#write(() => {
      const projects = projectKey === undefined ? this.#list(this.#paths.projects).map((name) => join(this.#paths.projects, name)) : [this.#paths.project(projectKey)];
      let deleted = 0;
      for (const project of projects) {
        for (const name of this.#list(project)) {
          const dir = join(project, name);
          const meta = readSessionMeta(dir);
          if (meta !== undefined && lastActivity(meta) < before) {
            this.#removeSession(dir);
            deleted++;
          }
        }
      }
      return deleted;
    });
  }

  /** Remove this store's lock token. */
  close(): void {
    this.#lock.dispose();
  }

  /** Run a write under the store's lock. */
  async #write<T>(run: () => T): Promise<T> {
    mkdirSync(this.#paths.root, { recursive: true });
    return withLock(this.#lock, run);
  }

  #newMeta(key: TranscriptKey): SessionMeta {
    return { generation: randomBytes(8).toString("hex"), projectKey: key.projectKey, sessionId: key.sessionId, transcripts: {}, summary: null };
  }

  /** The entries of a directory; none when it does not exist. */
  #list(dir: string): string[] {
    try {
      return readdirSync(dir);
    } catch (error) {
      if (errno(error) === "ENOENT") return [];
      throw error;
    }
  }

  /** The metas of a project's sessions. */
  #metas(projectKey: string): SessionMeta[] {
    const project = this.#paths.project(projectKey);
    return this.#list(project).flatMap((name) => readSessionMeta(join(project, name)) ?? []);
  }

  /** Under the lock: move a session's directory out in one rename, then remove it. */
  #removeSession(dir: string): void {
    mkdirSync(this.#paths.trash, { recursive: true });
    const trash = join(this.#paths.trash, randomBytes(8).toString("hex"));
    try {
      renameSync(dir, trash);
    } catch (error) {
      if (errno(error) === "ENOENT") return;
      throw error;
    }
    syncDirectory(join(dir, ".."), this.#options.fsync);
    this.#uuids.forgetSession(dir);
    rmSync(trash, { recursive: true, force: true });
  }
}
