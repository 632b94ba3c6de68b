import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import { concatChunks } from "../../src/persist/agent-state-bytes.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";
import type { RivetSqlDatabase } from "./context.js";
import { AGENT_STATE_SQL as SQL } from "./statements.js";

/**
 * The most bytes stored in one row: an append larger than this is stored as several rows of
 * one transaction, so no statement carries more than this to the actor's database.
 */
export const AGENT_STATE_PIECE_BYTES = 1024 * 1024;

/** A row's BLOB as a fresh Uint8Array (RivetKit hands back a Buffer, an ArrayBuffer or a byte array). */
function blob(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  throw new TypeError(`an agent state row holds a ${typeof value}, not bytes`);
}

/**
 * The Rivet driver's agent state, in the actor's SQLite database (SQLite mode only): a row per
 * file (size, time) and a row per piece of an append (its offset in the file and its bytes),
 * so an append inserts rows and never rewrites what is stored. The size check and the write
 * are one transaction, and the backend runs them one at a time with its other writes; a read
 * is one statement (one snapshot of the file and its pieces).
 */
export class RivetAgentState {
  readonly #db: RivetSqlDatabase;

  constructor(db: RivetSqlDatabase) {
    this.#db = db;
  }

  /** Replace (offset 0) or append; the stored size when the offset is refused. */
  async append(write: AgentStateWrite): Promise<number | undefined> {
    const { sessionId, path, offset, data, updatedAt } = write;
    return this.#db.transaction(
      async (tx) => {
        if (offset === 0) {
          await tx.execute(SQL.dropChunks, sessionId, path);
        } else {
          const [row] = await tx.execute(SQL.size, sessionId, path);
          const stored = row === undefined ? 0 : Number(row.size);
          if (stored !== offset) return stored;
          if (data.byteLength === 0) return undefined; // an empty append changes nothing, not even the time
        }
        for (let at = 0; at < data.byteLength; at += AGENT_STATE_PIECE_BYTES) {
          await tx.execute(SQL.putChunk, sessionId, path, offset + at, data.subarray(at, at + AGENT_STATE_PIECE_BYTES));
        }
        await tx.execute(SQL.putFile, sessionId, path, offset + data.byteLength, updatedAt);
        return undefined;
      },
      { name: "durable_agent_agent_state_append" },
    );
  }

  /** The whole file, or `undefined` when none is stored. */
  async read(sessionId: string, path: string): Promise<Uint8Array | undefined> {
    const rows = await this.#db.execute(SQL.read, sessionId, path);
    if (rows.length === 0) return undefined;
    return concatChunks(rows.filter((row) => row.data !== null && row.data !== undefined).map((row) => blob(row.data)));
  }

  /** Every file of the session, by path in code-point order (SQLite's BINARY collation on UTF-8). */
  async list(sessionId: string): Promise<AgentStateFileInfo[]> {
    const rows = await this.#db.execute(SQL.list, sessionId);
    return rows.map((row) => ({ path: row.path as string, size: Number(row.size), updatedAt: Number(row.updated_at) }));
  }

  /** One file, or every file of the session when `path` is `undefined`, in one transaction. */
  async delete(sessionId: string, path: string | undefined): Promise<void> {
    await this.#db.transaction(
      async (tx) => {
        if (path === undefined) {
          await tx.execute(SQL.dropAllChunks, sessionId);
          await tx.execute(SQL.dropAllFiles, sessionId);
        } else {
          await tx.execute(SQL.dropChunks, sessionId, path);
          await tx.execute(SQL.dropFile, sessionId, path);
        }
      },
      { name: "durable_agent_agent_state_delete" },
    );
  }
}
