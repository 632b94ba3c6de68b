import { mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { EventClash, MaybePromise, PersistBackend, SessionKey } from "../../src/persist/backend.js";
import type { LeaseAcquireResult, SessionLease } from "../../src/persist/leases.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";
import { FileAgentState } from "./agent-state.js";
import { SessionLog } from "./event-log.js";
import { errno, syncDirectory, writeFileAtomic } from "./io.js";
import { FileLeases } from "./leases.js";
import { eventLines } from "./lines.js";
import { DirectoryLock, withLock } from "./lock.js";
import { SESSION_FILES, StorePaths } from "./names.js";
import type { ResolvedFileOptions } from "./options.js";
import { rebuildDerivedFiles } from "./rebuild.js";
import { finishTrims, trimSessionFiles } from "./retention.js";
import { EventIdRegistry, type RegistryEntry } from "./registry.js";
import { SessionIndex } from "./session-index.js";
import { needsRebuild } from "./store-meta.js";

/** How many sessions' page indexes a process keeps loaded. */
const MAX_CACHED_SESSIONS = 256;

/**
 * Plain files: a directory per session (record, append-only event log, page index), a
 * listing index and an event-id registry (see names.ts). Reads take no lock and cost a page;
 * writes run under the store's write lock (lock.ts), synchronously, and are on the disk
 * before they are acknowledged (fsync `"always"`).
 */
export class FileBackend implements PersistBackend {
  readonly #paths: StorePaths;
  readonly #options: ResolvedFileOptions;
  readonly #lock: DirectoryLock;
  readonly #registry: EventIdRegistry;
  readonly #listing: SessionIndex;
  readonly #logs = new Map<string, SessionLog>();
  readonly #agentState: FileAgentState;
  readonly #leases: FileLeases;
  #ready: Promise<void> | undefined;
  #isReady = false;

  /** Nothing is touched on disk until the first call. */
  constructor(options: ResolvedFileOptions) {
    this.#options = options;
    this.#paths = new StorePaths(options.directory);
    this.#lock = new DirectoryLock(this.#paths.lock, options.directory, options.lockTimeoutMs);
    this.#registry = new EventIdRegistry(this.#paths);
    this.#listing = new SessionIndex(this.#paths.sessionsIndex);
    this.#agentState = new FileAgentState(options.directory, this.#paths.trash, options.fsync);
    this.#leases = new FileLeases(options.directory, options.fsync);
  }

  /** One read of the record file. */
  readSession(id: string): MaybePromise<SessionRecord | undefined> {
    return this.#read(() => this.#readRecord(id));
  }

  /** The listing line (when `createdAt` is new), then the record file by temp file + rename. */
  writeSession(record: SessionRecord): Promise<void> {
    return this.#write(() => this.#putRecord(record));
  }

  /** The same, only when the record file does not exist, under the lock: of any number of racing writers, one stores. */
  insertSession(record: SessionRecord): Promise<boolean> {
    return this.#write(() => {
      if (this.#readRecord(record.id) !== undefined) return false;
      this.#putRecord(record);
      return true;
    });
  }

  /** A binary search in the listing index, then one record file per item. */
  scanSessions(after: SessionKey | undefined, limit: number): MaybePromise<SessionRecord[]> {
    return this.#read(() => {
      const records: SessionRecord[] = [];
      for (const key of this.#listing.after(after)) {
        const record = this.#readRecord(key.id);
        // Skipped: gone (deleted, or a crash between the listing line and the record file) or moved.
        if (record !== undefined && record.createdAt === key.createdAt) records.push(record);
        if (records.length === limit) break;
      }
      return records;
    });
  }

  /** A binary search in the page index, then one read of the lines. */
  scanEvents(sessionId: string, afterIndex: number, limit: number): MaybePromise<SessionEvent[]> {
    return this.#read(() => {
      const log = this.#log(sessionId);
      return log.refresh() ? log.after(afterIndex, limit) : [];
    });
  }

  /** The last entries of the page index, then one read of the lines. */
  readTail(sessionId: string, limit: number): MaybePromise<SessionEvent[]> {
    return this.#read(() => {
      const log = this.#log(sessionId);
      return log.refresh() ? log.tail(limit) : [];
    });
  }

  /**
   * Under the lock: check every key of the batch (the registry for ids, checked against the
   * session it names; the page index for indexes), then claim the ids and append the lines in
   * one write, synced; or write nothing and report the clashes.
   */
  insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<readonly EventClash[] | undefined> {
    const lines = eventLines(events); // serialization errors before the lock
    return this.#write(() => this.#insertLocked(sessionId, events, lines));
  }

  /** The body of {@link FileBackend.insertEvents}, under the lock. */
  #insertLocked(sessionId: string, events: readonly SessionEvent[], lines: ReturnType<typeof eventLines>): readonly EventClash[] | undefined {
    const log = this.#log(sessionId);
    log.refresh();
    log.recover(this.#options.fsync);
    const clashes: EventClash[] = [];
    const claims = this.#registry.lookup(events.map((event) => event.id));
    events.forEach((event, i) => {
      const storedWithId = this.#holder(event.id, claims[i]);
      if (storedWithId !== undefined) clashes.push({ event, storedWithId });
      else if (log.find(event.eventIndex) !== -1) clashes.push({ event, indexTaken: true });
    });
    if (clashes.length > 0) return clashes;
    this.#registry.claim(sessionId, events);
    log.append(events, lines, this.#options.fsync);
    return undefined;
  }

  /**
   * Under the lock: one rename moves the session's directory (record, events, index) out of
   * `sessions/` at once, then the listing line and the removal of the moved directory follow.
   */
  deleteSession(id: string): Promise<void> {
    return this.#write(() => {
      this.#agentState.delete(id, undefined);
      this.#logs.get(id)?.close();
      this.#logs.delete(id);
      const trash = join(this.#paths.trash, `${randomBytes(8).toString("hex")}`);
      mkdirSync(this.#paths.trash, { recursive: true });
      try {
        renameSync(this.#paths.sessionDir(id), trash);
      } catch (error) {
        if (errno(error) !== "ENOENT") throw error;
        this.#listing.remove(id);
        return;
      }
      syncDirectory(this.#paths.sessions, this.#options.fsync);
      this.#listing.remove(id);
      rmSync(trash, { recursive: true, force: true });
    });
  }

  /** Under the lock: the kept events written as a fresh session directory, swapped in by renames (drivers/file/retention.ts). */
  deleteEventsBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): Promise<number> {
    return this.#write(() =>
      trimSessionFiles(
        {
          paths: this.#paths,
          policy: this.#options.fsync,
          log: () => {
            const log = this.#log(sessionId);
            if (!log.refresh()) return undefined;
            log.recover(this.#options.fsync);
            return log;
          },
          idTaken: (id) => this.#holder(id, this.#registry.lookup([id])[0]) !== undefined,
          claim: (id, events) => this.#registry.claim(id, events),
          forget: () => {
            this.#logs.get(sessionId)?.close();
            this.#logs.delete(sessionId);
          },
        },
        sessionId,
        beforeIndex,
        marker,
      ),
    );
  }

  /** Read, decide and write the lease file under the store's lock (see leases.ts). */
  acquireLease(sessionId: string, holder: string, ttlMs: number): Promise<LeaseAcquireResult> {
    return this.#write(() => this.#leases.acquire(sessionId, holder, ttlMs));
  }

  /** Extend the lease under the lock while its token is current. */
  renewLease(lease: SessionLease, ttlMs: number): Promise<SessionLease> {
    return this.#write(() => this.#leases.renew(lease, ttlMs));
  }

  /** Expire the lease under the lock while its token is current. */
  releaseLease(lease: SessionLease): Promise<void> {
    return this.#write(() => this.#leases.release(lease));
  }

  /** One read of the lease file. */
  readLease(sessionId: string): MaybePromise<SessionLease | undefined> {
    return this.#read(() => this.#leases.read(sessionId));
  }

  /** The token check and the insert under one hold of the lock. */
  insertEventsFenced(lease: SessionLease, events: readonly SessionEvent[]): Promise<readonly EventClash[] | undefined> {
    const lines = eventLines(events);
    return this.#write(() => {
      this.#leases.assertCurrent(lease);
      return this.#insertLocked(lease.sessionId, events, lines);
    });
  }

  /** The token check and the record write under one hold of the lock. */
  writeSessionFenced(lease: SessionLease, record: SessionRecord): Promise<void> {
    return this.#write(() => {
      this.#leases.assertCurrent(lease);
      this.#putRecord(record);
    });
  }

  /** Under the lock: the bytes written and synced, then the new size committed (see drivers/file/agent-state.ts). */
  appendAgentState(write: AgentStateWrite): Promise<number | undefined> {
    return this.#write(() => this.#agentState.append(write));
  }

  /** No lock: the committed size, then that many bytes of the data file. */
  readAgentState(sessionId: string, path: string): MaybePromise<Uint8Array | undefined> {
    return this.#read(() => this.#agentState.read(sessionId, path));
  }

  /** No lock: the session's committed files. */
  listAgentState(sessionId: string): MaybePromise<AgentStateFileInfo[]> {
    return this.#read(() => this.#agentState.list(sessionId));
  }

  /** Under the lock. */
  deleteAgentState(sessionId: string, path: string | undefined): Promise<void> {
    return this.#write(() => this.#agentState.delete(sessionId, path));
  }

  /** Close the read handles and remove this driver's lock token; waits for the first call's set-up. */
  async close(): Promise<void> {
    await this.#ready?.catch(() => undefined);
    for (const log of this.#logs.values()) log.close();
    this.#logs.clear();
    this.#registry.clear();
    this.#listing.close();
    this.#lock.dispose();
  }

  /** Run a read: synchronously once the store is set up (the first call sets it up, under the lock). */
  #read<T>(run: () => T): MaybePromise<T> {
    if (this.#isReady) return run();
    return this.#setUp().then(run);
  }

  /** Run a write under the store's lock (set up first, when it is the first call). */
  async #write<T>(run: () => T): Promise<T> {
    if (!this.#isReady) await this.#setUp();
    return withLock(this.#lock, run);
  }

  /** Once: create the directory, check store.json, rebuild the derived files after a reboot. */
  #setUp(): Promise<void> {
    this.#ready ??= (async () => {
      mkdirSync(this.#paths.sessions, { recursive: true });
      await withLock(this.#lock, () => {
        this.#lock.sweepTokens();
        finishTrims(this.#paths);
        if (needsRebuild(this.#paths.meta, this.#options.fsync)) {
          rebuildDerivedFiles(this.#paths, this.#options.fsync);
          this.#registry.clear();
        }
      });
      this.#isReady = true;
    })();
    const attempt = this.#ready;
    attempt.catch(() => {
      if (this.#ready === attempt) this.#ready = undefined; // a later call tries again
    });
    return attempt;
  }

  /** The record file of `id`, parsed (a fresh object), or `undefined`. */
  #readRecord(id: string): SessionRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.#paths.sessionDir(id), SESSION_FILES.record), "utf8")) as SessionRecord;
    } catch (error) {
      if (errno(error) === "ENOENT") return undefined;
      throw error;
    }
  }

  /** Under the lock: the listing line, then the record file (and its directory when new). */
  #putRecord(record: SessionRecord): void {
    const dir = this.#paths.sessionDir(record.id);
    this.#listing.put(record.id, record.createdAt);
    try {
      writeFileAtomic(join(dir, SESSION_FILES.record), JSON.stringify(record), this.#options.fsync);
    } catch (error) {
      if (errno(error) !== "ENOENT") throw error;
      mkdirSync(dir, { recursive: true });
      syncDirectory(this.#paths.sessions, this.#options.fsync);
      writeFileAtomic(join(dir, SESSION_FILES.record), JSON.stringify(record), this.#options.fsync);
    }
  }

  /** Under the lock: the event stored under `id`, if the registry's claim holds (the session it names has it). */
  #holder(id: string, entry: RegistryEntry | undefined): SessionEvent | undefined {
    if (entry === undefined) return undefined;
    const log = this.#log(entry.sessionId);
    if (!log.refresh()) return undefined;
    const position = log.find(entry.eventIndex);
    const event = position === -1 ? undefined : log.eventAt(position);
    return event?.id === id ? event : undefined;
  }

  /** The page index of a session, kept for the most recently used sessions. */
  #log(sessionId: string): SessionLog {
    let log = this.#logs.get(sessionId);
    if (log !== undefined) {
      this.#logs.delete(sessionId); // most recently used last
    } else {
      log = new SessionLog(this.#paths.sessionDir(sessionId));
      if (this.#logs.size >= MAX_CACHED_SESSIONS) {
        const [oldest, evicted] = this.#logs.entries().next().value as [string, SessionLog];
        evicted.close();
        this.#logs.delete(oldest);
      }
    }
    this.#logs.set(sessionId, log);
    return log;
  }
}
