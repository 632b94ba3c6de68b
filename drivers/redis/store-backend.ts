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
import { closeClient, openClient, type Connection } from "./connection.js";
import { StoreKeys } from "./names.js";
import type { ResolvedRedisOptions } from "./options.js";
import { APPEND, DELETE_SESSION, DELETE_TRANSCRIPT } from "./store-scripts.js";

/** Entries read per LRANGE when loading a transcript. */
const LOAD_PAGE = 5000;
/** Sessions whose summary version this process remembers. */
const MAX_CACHED_SUMMARIES = 1024;

/** A session's summary as stored: its version (appends that changed it), and its data as JSON text. */
interface SummaryState {
  version: number;
  data: string | null;
}

/**
 * The session store on Redis. An append is one Lua script: entries pushed onto the
 * transcript's list unless their uuid is in its set, the mtime stamped from the server's
 * clock, and for the main transcript the summary folded here written in the same step, on
 * condition that it is still the one the fold started from (a compare-and-set on its version:
 * one round trip when this process wrote the session last; otherwise the script answers the
 * current summary and the fold runs again). Listings read one hash of the project.
 */
export class RedisSessionStoreBackend implements SessionStoreBackend {
  readonly #connection: Connection;
  readonly #keys: StoreKeys;
  /** Summary versions this process knows, by session, most recently used last. */
  readonly #summaries = new Map<string, SummaryState>();

  /** Nothing is awaited: an owned client connects in the background. */
  constructor(options: ResolvedRedisOptions) {
    this.#connection = openClient(options.source);
    this.#keys = new StoreKeys(options.prefix);
  }

  get #client() {
    return this.#connection.client;
  }

  /** One script (more only when another writer changed the session's summary since this process saw it). */
  async append(key: TranscriptKey, entries: readonly PreparedEntry[], summary: SummaryFold | undefined): Promise<void> {
    const { projectKey, sessionId, subpath } = key;
    const k = this.#keys;
    const keys = [
      k.mtimes(projectKey, sessionId),
      k.entries(projectKey, sessionId, subpath),
      k.uuids(projectKey, sessionId, subpath),
      k.sessions(projectKey),
      k.summaries(projectKey),
      k.activity(projectKey),
      k.projects,
    ];
    const cacheKey = JSON.stringify([projectKey, sessionId]);
    let batch = entries;
    // Unknown to this process: assume a new session (no summary yet); the script says otherwise.
    let state: SummaryState = this.#summaries.get(cacheKey) ?? { version: 0, data: null };
    for (;;) {
      const folded = summary === undefined ? "" : foldSummaryJson(summary, state.data, batch, Date.now());
      const args: string[] = [projectKey, sessionId, subpath, summary === undefined ? "0" : "1", String(state.version), folded];
      for (const entry of batch) args.push(entry.uuid === null ? "-" : `u${entry.uuid}`, entry.json);
      const answer = (await APPEND.run(this.#client, keys, args)) as [number, number, string | null, number[]];
      if (answer[0] === 1) {
        if (summary !== undefined) this.#remember(cacheKey, { version: state.version + 1, data: folded });
        return;
      }
      // The summary moved on, or some uuids are stored already: fold again what will be stored.
      state = { version: Number(answer[1]), data: answer[2] ?? null };
      const held = new Set(batch.flatMap((entry, i) => (answer[3][i] === 1 && entry.uuid !== null ? [entry.uuid] : [])));
      batch = entriesToStore(batch, (uuid) => held.has(uuid));
      if (batch.length === 0) {
        this.#remember(cacheKey, state);
        return;
      }
    }
  }

  /** LRANGE pages of the transcript's list; `null` when it has no entries (it was never written). */
  async load(key: TranscriptKey): Promise<SessionStoreEntry[] | null> {
    const list = this.#keys.entries(key.projectKey, key.sessionId, key.subpath);
    const entries: SessionStoreEntry[] = [];
    for (let at = 0; ; at += LOAD_PAGE) {
      const page = await this.#client.lrange(list, at, at + LOAD_PAGE - 1);
      for (const json of page) entries.push(JSON.parse(json) as SessionStoreEntry);
      if (page.length < LOAD_PAGE) break;
    }
    return entries.length === 0 ? null : entries;
  }

  /** One HGETALL of the project's sessions. */
  async listSessions(projectKey: string): Promise<SessionListing[]> {
    const all = await this.#client.hgetall(this.#keys.sessions(projectKey));
    return Object.entries(all).map(([sessionId, mtime]) => ({ sessionId, mtime: Number(mtime) }));
  }

  /** One HGETALL of the project's summaries. */
  async listSessionSummaries(projectKey: string): Promise<SessionSummaryEntry[]> {
    const all = await this.#client.hgetall(this.#keys.summaries(projectKey));
    return Object.entries(all).map(([sessionId, value]) => {
      const a = value.indexOf(":");
      const b = value.indexOf(":", a + 1);
      return summaryEntry(sessionId, Number(value.slice(a + 1, b)), value.slice(b + 1));
    });
  }

  /** One script over every key of the session (read first, checked again inside the script). */
  async deleteSession(projectKey: string, sessionId: string): Promise<void> {
    await this.#deleteSession(projectKey, sessionId, "");
    this.#summaries.delete(JSON.stringify([projectKey, sessionId]));
  }

  /** One script: the transcript, its mtime, and the session's last activity recomputed. */
  async deleteTranscript(key: TranscriptKey): Promise<void> {
    const { projectKey, sessionId, subpath } = key;
    const k = this.#keys;
    const keys = [k.mtimes(projectKey, sessionId), k.entries(projectKey, sessionId, subpath), k.uuids(projectKey, sessionId, subpath), k.activity(projectKey)];
    await DELETE_TRANSCRIPT.run(this.#client, keys, [sessionId, subpath]);
  }

  /** One HKEYS of the session's transcripts, the main one left out, in code-point order. */
  async listSubkeys(projectKey: string, sessionId: string): Promise<string[]> {
    const subpaths = await this.#client.hkeys(this.#keys.mtimes(projectKey, sessionId));
    return subpaths.filter((subpath) => subpath !== "").sort(compareCodePoints);
  }

  /** The stale sessions of each project, by a range of its activity index, each deleted by the session script (which checks again). */
  async pruneSessions(before: number, projectKey: string | undefined): Promise<number> {
    const projects = projectKey === undefined ? await this.#client.smembers(this.#keys.projects) : [projectKey];
    let deleted = 0;
    for (const project of projects) {
      const stale = await this.#client.zrangebyscore(this.#keys.activity(project), "-inf", `(${before}`);
      for (const sessionId of stale) {
        if (await this.#deleteSession(project, sessionId, String(before))) {
          this.#summaries.delete(JSON.stringify([project, sessionId]));
          deleted++;
        }
      }
    }
    return deleted;
  }

  /** QUIT the client when the backend opened it. */
  async close(): Promise<void> {
    await closeClient(this.#connection);
  }

  /** Read the session's subpaths, then delete it all in one script unless they changed meanwhile (then again). */
  async #deleteSession(projectKey: string, sessionId: string, before: string): Promise<boolean> {
    const k = this.#keys;
    const mtimes = k.mtimes(projectKey, sessionId);
    for (;;) {
      const subpaths = await this.#client.hkeys(mtimes);
      const keys = [mtimes, k.sessions(projectKey), k.summaries(projectKey), k.activity(projectKey), k.projects];
      for (const subpath of subpaths) keys.push(k.entries(projectKey, sessionId, subpath), k.uuids(projectKey, sessionId, subpath));
      const answer = Number(await DELETE_SESSION.run(this.#client, keys, [sessionId, projectKey, before, String(subpaths.length), ...subpaths]));
      if (answer !== 0) return answer === 1;
    }
  }

  /** Remember a session's summary state (bounded: the least recently used is forgotten). */
  #remember(cacheKey: string, state: SummaryState): void {
    this.#summaries.delete(cacheKey);
    this.#summaries.set(cacheKey, state);
    if (this.#summaries.size > MAX_CACHED_SUMMARIES) this.#summaries.delete(this.#summaries.keys().next().value as string);
  }
}
