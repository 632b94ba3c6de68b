import type { Pool, PoolClient, QueryResult } from "pg";
import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import { concatChunks } from "../../src/persist/agent-state-bytes.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";
import { agentStateTableNames, migrateAgentState, type AgentStateTableNames } from "./agent-state-schema.js";
import { PersistValidationError } from "../../src/persist/errors.js";
import type { TableNames } from "./names.js";
import { statement, type Statement } from "./statements.js";

interface FileRow {
  path: string;
  size: string | number;
  updated_at: number;
}

/** A Buffer over the same bytes (no copy): what pg sends as `bytea`. */
const asBuffer = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** The statements over one set of agent state tables. */
function buildAgentStateStatements(t: AgentStateTableNames) {
  return {
    /**
     * Append: grow the file row when its size is the offset, and insert the chunk in the same
     * statement. The row lock orders racing appenders; a loser re-checks the committed size
     * and updates nothing. Params: session, path, offset, data, length, updatedAt.
     */
    append: statement(
      `WITH grown AS (
         UPDATE ${t.files} SET size = size + $5::bigint, updated_at = $6
         WHERE session_id = $1 AND path = $2 AND size = $3::bigint
         RETURNING 1
       ), chunk AS (
         INSERT INTO ${t.chunks} (session_id, path, chunk_offset, data)
         SELECT $1, $2, $3::bigint, $4::bytea FROM grown
       )
       SELECT count(*)::int AS grown FROM grown`,
    ),
    /** Params: session, path. */
    size: statement(`SELECT size FROM ${t.files} WHERE session_id = $1 AND path = $2`),
    /** Replace, first step (takes the file row's lock). Params: session, path, size, updatedAt. */
    putFile: statement(
      `INSERT INTO ${t.files} (session_id, path, size, updated_at) VALUES ($1, $2, $3::bigint, $4)
       ON CONFLICT (session_id, path) DO UPDATE SET size = EXCLUDED.size, updated_at = EXCLUDED.updated_at`,
    ),
    /** Params: session, path. */
    dropChunks: statement(`DELETE FROM ${t.chunks} WHERE session_id = $1 AND path = $2`),
    /** Params: session, path, data. */
    putChunk: statement(`INSERT INTO ${t.chunks} (session_id, path, chunk_offset, data) VALUES ($1, $2, 0, $3::bytea)`),
    /** The file row and its chunks, in one snapshot. Params: session, path. */
    read: statement(
      `SELECT f.size, c.data FROM ${t.files} f
       LEFT JOIN ${t.chunks} c ON c.session_id = f.session_id AND c.path = f.path
       WHERE f.session_id = $1 AND f.path = $2
       ORDER BY c.chunk_offset`,
    ),
    /** Params: session. */
    list: statement(`SELECT path, size, updated_at FROM ${t.files} WHERE session_id = $1 ORDER BY path`),
    /** One file: its chunks and its row, in one statement. Params: session, path. */
    deleteFile: statement(
      `WITH gone AS (DELETE FROM ${t.chunks} WHERE session_id = $1 AND path = $2)
       DELETE FROM ${t.files} WHERE session_id = $1 AND path = $2`,
    ),
    /** Every file of a session, in one statement. Params: session. */
    deleteAll: statement(
      `WITH gone AS (DELETE FROM ${t.chunks} WHERE session_id = $1)
       DELETE FROM ${t.files} WHERE session_id = $1`,
    ),
  };
}

type AgentStateStatements = ReturnType<typeof buildAgentStateStatements>;

/**
 * The PostgreSQL driver's agent state: a row per file (size, time) and a `bytea` row per
 * append, so an append inserts one row and never rewrites what is stored. An append is one
 * statement; a replace is one transaction that locks the file row before it drops the old
 * chunks, so it cannot interleave with an append. The tables are created on first use.
 */
export class PostgresAgentState {
  readonly #pool: Pool;
  readonly #t: AgentStateTableNames;
  readonly #sql: AgentStateStatements;
  #migrated: Promise<void> | undefined;

  constructor(pool: Pool, names: TableNames) {
    this.#pool = pool;
    this.#t = agentStateTableNames(names);
    this.#sql = buildAgentStateStatements(this.#t);
  }

  /** Replace in a transaction, append in one statement; the stored size when the offset is refused. */
  async append(w: AgentStateWrite): Promise<number | undefined> {
    if (unstorable(w.sessionId)) {
      throw new PersistValidationError("agent state write", [
        { path: "sessionId", message: "must not contain U+0000 (PostgreSQL text cannot store it)" },
      ]);
    }
    await this.#ready();
    if (w.offset === 0) {
      await this.#transaction(async (client) => {
        await run(client, this.#sql.putFile, [w.sessionId, w.path, w.data.byteLength, w.updatedAt]);
        await run(client, this.#sql.dropChunks, [w.sessionId, w.path]);
        if (w.data.byteLength > 0) await run(client, this.#sql.putChunk, [w.sessionId, w.path, asBuffer(w.data)]);
      });
      return undefined;
    }
    if (w.data.byteLength > 0) {
      const params = [w.sessionId, w.path, w.offset, asBuffer(w.data), w.data.byteLength, w.updatedAt];
      const { rows } = await run<{ grown: number }>(this.#pool, this.#sql.append, params);
      if (rows[0]?.grown === 1) return undefined;
    }
    // Refused, or an empty append (which changes nothing): the stored size tells which.
    const stored = await run<{ size: string | number }>(this.#pool, this.#sql.size, [w.sessionId, w.path]);
    const size = stored.rows[0] === undefined ? 0 : Number(stored.rows[0].size);
    return size === w.offset && w.data.byteLength === 0 ? undefined : size;
  }

  /** The file row and its chunks in one statement, concatenated (checked against the stored size). */
  async read(sessionId: string, path: string): Promise<Uint8Array | undefined> {
    if (unstorable(sessionId)) return undefined;
    await this.#ready();
    const { rows } = await run<{ size: string | number; data: Buffer | null }>(this.#pool, this.#sql.read, [sessionId, path]);
    if (rows.length === 0) return undefined;
    const bytes = concatChunks(rows.flatMap((row) => (row.data === null ? [] : [row.data])));
    const size = Number(rows[0]!.size);
    if (bytes.byteLength !== size) {
      throw new Error(`Agent state "${path}" of session "${sessionId}" is inconsistent: ${bytes.byteLength} bytes stored, ${size} recorded`);
    }
    return bytes;
  }

  async list(sessionId: string): Promise<AgentStateFileInfo[]> {
    if (unstorable(sessionId)) return [];
    await this.#ready();
    const { rows } = await run<FileRow>(this.#pool, this.#sql.list, [sessionId]);
    return rows.map((row) => ({ path: row.path, size: Number(row.size), updatedAt: row.updated_at }));
  }

  async delete(sessionId: string, path: string | undefined): Promise<void> {
    if (unstorable(sessionId)) return;
    await this.#ready();
    if (path === undefined) await run(this.#pool, this.#sql.deleteAll, [sessionId]);
    else await run(this.#pool, this.#sql.deleteFile, [sessionId, path]);
  }

  /** Let a running migration finish (the pool may be ended next). */
  async settle(): Promise<void> {
    await this.#migrated?.catch(() => undefined);
  }

  /** Migrate once (a failed attempt is forgotten, so a later call retries). */
  #ready(): Promise<void> {
    if (this.#migrated === undefined) {
      const attempt = migrateAgentState(this.#pool, this.#t).catch((error: unknown) => {
        if (this.#migrated === attempt) this.#migrated = undefined;
        throw error;
      });
      this.#migrated = attempt;
    }
    return this.#migrated;
  }

  async #transaction(body: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      try {
        await body(client);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    } finally {
      client.release();
    }
  }
}

/** A session id PostgreSQL `text` cannot hold (U+0000): nothing can be stored under it. (Paths are refused with it by the kit.) */
const unstorable = (sessionId: string): boolean => sessionId.includes("\u0000");

function run<R extends object = object>(on: Pool | PoolClient, s: Statement, values: unknown[]): Promise<QueryResult<R>> {
  return on.query<R>({ name: s.name, text: s.text, values });
}
