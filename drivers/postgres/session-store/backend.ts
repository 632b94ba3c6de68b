import type { Pool, PoolClient, QueryArrayResult, QueryResult } from "pg";
import type { SessionStoreBackend } from "../../../src/session-store/backend.js";
import { entriesToStore } from "../../../src/session-store/entries.js";
import { transcriptKeyString } from "../../../src/session-store/keys.js";
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
import { KnownStates } from "./cache.js";
import type { SessionStoreNames } from "./names.js";
import { OnceReady } from "./once.js";
import { migrateSessionStore } from "./schema.js";
import { buildSessionStoreStatements, type SessionStoreStatements } from "./statements.js";

/** Entries read per round trip by `load`: keyset pages, so a long transcript costs linear work and bounded buffers. */
export const LOAD_PAGE = 5000;

/** A row of a load: transcript id, then the entry's seq and JSON text (`null`: the transcript has none). */
type LoadRow = [id: string, seq: number | null, entry: string | null];

/** A transcript row as the locked path reads it. */
interface LockedRow {
  id: string;
  last_seq: number;
  mtime: number;
  summary: string | null;
}

/**
 * The session store on PostgreSQL through a pg pool. Every write is serialized on its
 * transcript's row: an append updates (or creates) that row and inserts its entries in one
 * statement when it knows the row's state (see `cache.ts`), and otherwise locks the row in a
 * transaction, reads which uuids are stored, folds and writes. Deletes lock the rows first, so
 * no append can commit entries of a transcript being deleted.
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
    const batch = [entries.map((e) => e.json), entries.map((e) => e.uuid)];
    if (summary === undefined) {
      try {
        await this.#query(this.#sql.appendUnsummarized, [...batch, key.projectKey, key.sessionId, key.subpath, entries.length]);
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
        const { rows } = await this.#query<{ id: string }>(this.#sql.appendNew, values);
        if (rows[0] !== undefined) return this.#known.set(cacheKey, { id: rows[0].id, lastSeq: entries.length, data });
      } else {
        try {
          const values = [...batch, known.id, known.lastSeq, entries.length, JSON.stringify(data)];
          const { rowCount } = await this.#query(this.#sql.appendAfter, values);
          if (rowCount === 1) return this.#known.set(cacheKey, { id: known.id, lastSeq: known.lastSeq + entries.length, data });
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

  /** The transcript's id and first page in one statement, then keyset pages. */
  async load(key: TranscriptKey): Promise<SessionStoreEntry[] | null> {
    let { rows } = await this.#queryArrays<LoadRow>(this.#sql.loadFirst, [key.projectKey, key.sessionId, key.subpath, LOAD_PAGE]);
    const head = rows[0];
    if (head === undefined) return null;
    const entries: SessionStoreEntry[] = [];
    for (;;) {
      let last = -1;
      for (const [, seq, entry] of rows) {
        if (seq === null) break; // a row without entries (never written so, but read it as empty)
        entries.push(JSON.parse(entry as string) as SessionStoreEntry);
        last = seq;
      }
      if (rows.length < LOAD_PAGE) return entries;
      ({ rows } = await this.#queryArrays<LoadRow>(this.#sql.loadAfter, [head[0], last, LOAD_PAGE]));
    }
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
      const values = [
        fresh.map((e) => e.json),
        fresh.map((e) => e.uuid),
        row.id,
        row.last_seq,
        fresh.length,
        data === undefined ? null : JSON.stringify(data),
      ];
      await this.#run(client, this.#sql.appendAfter, values);
      remember(row.last_seq + fresh.length, data);
    });
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
