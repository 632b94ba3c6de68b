import type { Pool, PoolClient, QueryArrayResult, QueryResult } from "pg";
import type { SessionStoreBackend } from "../../../src/session-store/backend.js";
import { entriesToStore } from "../../../src/session-store/entries.js";
import { transcriptKeyString } from "../../../src/session-store/keys.js";
import { KnownStates } from "../../../src/session-store/known-states.js";
import { foldSummaryData, summaryEntry } from "../../../src/session-store/summary.js";
import type {
  PreparedEntry,
  SessionListing,
  SessionStoreEntry,
  SessionSummaryEntry,
  SummaryFold,
  TranscriptKey,
} from "../../../src/session-store/types.js";
import type { Statement } from "../statements.js";
import { openPool } from "../connection.js";
import { isUniqueViolation } from "../errors.js";
import type { ResolvedOptions } from "../options.js";
import type { SessionStoreNames } from "./names.js";
import { OnceReady } from "./once.js";
import { migrateSessionStore } from "./schema.js";
import { buildSessionStoreStatements, type AppendStatements, type SessionStoreStatements } from "./statements.js";

/** Entries read per round trip by `load`: pages by seq range, so a long transcript costs linear work and bounded buffers. */
export const LOAD_PAGE = 5000;

/** A transcript row as the locked path reads it. */
interface LockedRow {
  id: string;
  last_seq: number;
  mtime: number;
  summary: string | null;
}

/**
 * The session store on PostgreSQL through a pg pool. Every write is serialized on its
 * transcript's row. When this process knows the row's `(id, last_seq)` (see
 * `known-states.ts`), an append folds the summary first, then updates the row and inserts the
 * entries in one statement conditional on that state: the common case, one writer per
 * session, costs one round trip. Otherwise (another writer moved the row on, a uuid is stored
 * already) it locks the row in a transaction, reads which uuids are stored, folds and writes.
 * Deletes lock the rows first, so no append can commit entries of a transcript being deleted.
 */
export class PostgresSessionStoreBackend implements SessionStoreBackend {
  readonly #pool: Pool;
  readonly #owned: boolean;
  readonly #sql: SessionStoreStatements;
  readonly #known = new KnownStates();
  readonly #migration: OnceReady;

  /** Nothing is connected yet: the first call connects and migrates. */
  constructor(options: ResolvedOptions, names: SessionStoreNames) {
    const { pool, owned } = openPool(options);
    this.#pool = pool;
    this.#owned = owned;
    this.#sql = buildSessionStoreStatements(names);
    this.#migration = new OnceReady(() => migrateSessionStore(pool, names));
  }

  /**
   * A subpath: one statement (create or bump the row, insert the batch), the locked path when
   * a uuid of the batch is stored already. The main transcript: one statement after a known
   * state, the locked path otherwise.
   */
  async append(key: TranscriptKey, entries: readonly PreparedEntry[], summary: SummaryFold | undefined): Promise<void> {
    const { statements, batch } = this.#batch(entries);
    if (summary === undefined) {
      try {
        await this.#query(statements.unsummarized, [...batch, key.projectKey, key.sessionId, key.subpath, entries.length]);
        return;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      return this.#appendLocked(key, entries, undefined);
    }
    const cacheKey = transcriptKeyString(key);
    const known = this.#known.get(cacheKey);
    try {
      const data = foldSummaryData(summary, known?.data, entries, Date.now());
      if (known === undefined) {
        const values = [...batch, key.projectKey, key.sessionId, key.subpath, entries.length, JSON.stringify(data)];
        const { rows } = await this.#query<{ id: string }>(statements.new, values);
        if (rows[0] !== undefined) return this.#known.set(cacheKey, { id: rows[0].id, lastSeq: entries.length, data });
      } else {
        try {
          const values = [...batch, known.id, known.lastSeq, entries.length, JSON.stringify(data)];
          const { rowCount } = await this.#query(statements.after, values);
          if (rowCount === entries.length) return this.#known.set(cacheKey, { id: known.id, lastSeq: known.lastSeq + entries.length, data });
        } catch (error) {
          if (!isUniqueViolation(error)) throw error; // else: a uuid of the batch is stored already
        }
      }
      await this.#appendLocked(key, entries, { summary, cacheKey });
    } catch (error) {
      this.#known.delete(cacheKey);
      throw error;
    }
  }

  /**
   * The transcript's row, then its entries in pages of `LOAD_PAGE` seqs (a transcript's seqs
   * run from 1, one per entry), up to the last seq the row gave, the next page read while one
   * is parsed: linear work, bounded buffers, and entries appended meanwhile left for the next load.
   */
  async load(key: TranscriptKey): Promise<SessionStoreEntry[] | null> {
    const { rows } = await this.#query<{ id: string; last_seq: number }>(this.#sql.transcript, [key.projectKey, key.sessionId, key.subpath]);
    const row = rows[0];
    if (row === undefined) return null;
    const page = (after: number) =>
      this.#queryArrays<[string]>(this.#sql.entriesBetween, [row.id, after, Math.min(after + LOAD_PAGE, row.last_seq)]);
    const entries: SessionStoreEntry[] = [];
    let next = page(0);
    for (let after = 0; after < row.last_seq; after += LOAD_PAGE) {
      const { rows: entryRows } = await next;
      // The server reads the next page while this one is parsed.
      if (after + LOAD_PAGE < row.last_seq) {
        next = page(after + LOAD_PAGE);
        next.catch(() => undefined); // awaited in the next turn; never an unhandled rejection meanwhile
      }
      for (const [entry] of entryRows) entries.push(JSON.parse(entry) as SessionStoreEntry);
    }
    return entries;
  }

  /** A read of the partial index of main transcripts. */
  async listSessions(projectKey: string): Promise<SessionListing[]> {
    return (await this.#query<SessionListing>(this.#sql.sessions, [projectKey])).rows;
  }

  /** The same index, with each main row's summary. */
  async listSessionSummaries(projectKey: string): Promise<SessionSummaryEntry[]> {
    const { rows } = await this.#query<{ session_id: string; mtime: number; summary: string }>(this.#sql.summaries, [projectKey]);
    return rows.map((row) => summaryEntry(row.session_id, row.mtime, row.summary));
  }

  /** Lock every transcript row of the session, then delete them and their entries. */
  async deleteSession(projectKey: string, sessionId: string): Promise<void> {
    this.#known.delete(transcriptKeyString({ projectKey, sessionId, subpath: "" }));
    await this.#transaction(async (client) => {
      const ids = await this.#ids(client, this.#sql.lockSession, [projectKey, sessionId]);
      if (ids.length > 0) await this.#run(client, this.#sql.deleteTranscripts, [ids]);
    });
  }

  /** Lock the transcript row, then delete it and its entries. */
  async deleteTranscript(key: TranscriptKey): Promise<void> {
    await this.#transaction(async (client) => {
      const ids = await this.#ids(client, this.#sql.lockOne, [key.projectKey, key.sessionId, key.subpath]);
      if (ids.length > 0) await this.#run(client, this.#sql.deleteTranscripts, [ids]);
    });
  }

  /** A range read of the unique key's index. */
  async listSubkeys(projectKey: string, sessionId: string): Promise<string[]> {
    return (await this.#query<{ subpath: string }>(this.#sql.subkeys, [projectKey, sessionId])).rows.map((row) => row.subpath);
  }

  /** Lock the rows of the idle sessions, then delete those still idle under the lock. */
  async pruneSessions(before: number, projectKey: string | undefined): Promise<number> {
    return this.#transaction(async (client) => {
      const ids = await this.#ids(client, this.#sql.lockStale, [before, projectKey ?? null]);
      if (ids.length === 0) return 0;
      const { rows } = await this.#run<{ n: number }>(client, this.#sql.deleteStale, [ids, before]);
      return rows[0]?.n ?? 0;
    });
  }

  /** Let a running migration finish, and end the pool when the store opened it. */
  async close(): Promise<void> {
    await this.#migration.settled();
    if (this.#owned) await this.#pool.end();
  }

  /**
   * The locked path: lock (or create) the row, decide what to store from the uuids stored
   * (`entriesToStore`), fold it onto the row's summary (main transcript) and write it all, in
   * one transaction.
   */
  async #appendLocked(
    key: TranscriptKey,
    entries: readonly PreparedEntry[],
    main: { summary: SummaryFold; cacheKey: string } | undefined,
  ): Promise<void> {
    await this.#transaction(async (client) => {
      const { rows } = await this.#run<LockedRow>(client, this.#sql.lockTranscript, [key.projectKey, key.sessionId, key.subpath]);
      const row = rows[0] as LockedRow;
      const previous = row.summary === null ? undefined : (JSON.parse(row.summary) as Record<string, unknown>);
      let fresh = entries;
      const uuids = entries.flatMap((e) => (e.uuid === null ? [] : [e.uuid]));
      if (uuids.length > 0 && row.last_seq > 0) {
        const stored = await this.#run<{ uuid: string }>(client, this.#sql.storedUuids, [row.id, uuids]);
        const taken = new Set(stored.rows.map((r) => r.uuid));
        fresh = entriesToStore(entries, (uuid) => taken.has(uuid));
      }
      const remember = (lastSeq: number, data: Record<string, unknown> | undefined) => {
        if (main !== undefined && data !== undefined) this.#known.set(main.cacheKey, { id: row.id, lastSeq, data });
      };
      if (fresh.length === 0) return remember(row.last_seq, previous); // a replay: nothing to write
      const data = main === undefined ? undefined : foldSummaryData(main.summary, previous, fresh, Math.max(Date.now(), row.mtime + 1));
      const { statements, batch } = this.#batch(fresh);
      const values = [...batch, row.id, row.last_seq, fresh.length, data === undefined ? null : JSON.stringify(data)];
      await this.#run(client, statements.after, values);
      remember(row.last_seq + fresh.length, data);
    });
  }

  /** The append statements for a batch's size, and the batch as their `$1` and `$2`. */
  #batch(entries: readonly PreparedEntry[]): { statements: AppendStatements; batch: unknown[] } {
    if (entries.length === 1) {
      const entry = entries[0] as PreparedEntry;
      return { statements: this.#sql.append.one, batch: [entry.json, entry.uuid] };
    }
    return { statements: this.#sql.append.many, batch: [entries.map((e) => e.json), entries.map((e) => e.uuid)] };
  }

  /** Run `body` in a transaction on one client of the pool (rolled back when it throws). */
  async #transaction<T>(body: (client: PoolClient) => Promise<T>): Promise<T> {
    await this.#migration.ready();
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await body(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollback: unknown) => {
        broken = rollback instanceof Error ? rollback : new Error(String(rollback)); // the connection is unusable
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** The ids a locking statement returns. */
  async #ids(client: PoolClient, statement: Statement, values: unknown[]): Promise<string[]> {
    return (await this.#run<{ id: string }>(client, statement, values)).rows.map((row) => row.id);
  }

  /** Run a named statement on a client. */
  #run<R extends object>(client: PoolClient, statement: Statement, values: unknown[]): Promise<QueryResult<R>> {
    return client.query<R>({ name: statement.name, text: statement.text, values });
  }

  /** Run a named statement on the pool once the schema is migrated. */
  async #query<R extends object>(statement: Statement, values: unknown[]): Promise<QueryResult<R>> {
    await this.#migration.ready();
    return this.#pool.query<R>({ name: statement.name, text: statement.text, values });
  }

  /** {@link #query}, rows as arrays (no object per row). */
  async #queryArrays<R extends unknown[]>(statement: Statement, values: unknown[]): Promise<QueryArrayResult<R>> {
    await this.#migration.ready();
    return this.#pool.query<R>({ name: statement.name, text: statement.text, values, rowMode: "array" });
  }
}
