import type Database from "better-sqlite3";
import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import { concatChunks } from "../../src/persist/agent-state-bytes.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";
import { migrateAgentState } from "./agent-state-schema.js";

interface FileRow {
  path: string;
  size: number;
  updated_at: number;
}

/** A Buffer over the same bytes (no copy): what better-sqlite3 binds as a BLOB. */
const asBuffer = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * The SQLite driver's agent state: a row per file (size, time) and a row per append (its
 * offset and bytes), so an append inserts one row and never rewrites what is stored. The
 * size check and the write run in one `BEGIN IMMEDIATE` transaction (the database's write
 * lock serialises every connection and process on the file); a read takes the file's rows in
 * one read transaction, so it never sees half an append.
 */
export class SQLiteAgentState {
  readonly #size: Database.Statement<[string, string], { size: number }>;
  readonly #list: Database.Statement<[string], FileRow>;
  readonly #chunks: Database.Statement<[string, string], { data: Buffer }>;
  readonly #append: (write: AgentStateWrite) => number | undefined;
  readonly #read: (sessionId: string, path: string) => Uint8Array | undefined;
  readonly #deleteFile: (sessionId: string, path: string) => void;
  readonly #deleteAll: (sessionId: string) => void;

  /** Create or migrate the agent state tables and prepare their statements. */
  constructor(db: Database.Database, prefix: string) {
    const t = migrateAgentState(db, prefix);
    this.#size = db.prepare(`SELECT size FROM "${t.files}" WHERE session_id = ? AND path = ?`);
    this.#list = db.prepare(`SELECT path, size, updated_at FROM "${t.files}" WHERE session_id = ? ORDER BY path`);
    this.#chunks = db.prepare(`SELECT data FROM "${t.chunks}" WHERE session_id = ? AND path = ? ORDER BY chunk_offset`);
    const putFile = db.prepare<[string, string, number, number]>(
      `INSERT INTO "${t.files}" (session_id, path, size, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (session_id, path) DO UPDATE SET size = excluded.size, updated_at = excluded.updated_at`,
    );
    const putChunk = db.prepare<[string, string, number, Buffer]>(
      `INSERT INTO "${t.chunks}" (session_id, path, chunk_offset, data) VALUES (?, ?, ?, ?)`,
    );
    const dropChunks = db.prepare<[string, string]>(`DELETE FROM "${t.chunks}" WHERE session_id = ? AND path = ?`);
    const dropFile = db.prepare<[string, string]>(`DELETE FROM "${t.files}" WHERE session_id = ? AND path = ?`);
    const dropAllChunks = db.prepare<[string]>(`DELETE FROM "${t.chunks}" WHERE session_id = ?`);
    const dropAllFiles = db.prepare<[string]>(`DELETE FROM "${t.files}" WHERE session_id = ?`);

    const append = db.transaction((w: AgentStateWrite): number | undefined => {
      if (w.offset === 0) {
        dropChunks.run(w.sessionId, w.path);
      } else {
        const stored = this.#size.get(w.sessionId, w.path)?.size ?? 0;
        if (stored !== w.offset) return stored;
        if (w.data.byteLength === 0) return undefined; // an empty append changes nothing
      }
      if (w.data.byteLength > 0) putChunk.run(w.sessionId, w.path, w.offset, asBuffer(w.data));
      putFile.run(w.sessionId, w.path, w.offset + w.data.byteLength, w.updatedAt);
      return undefined;
    });
    this.#append = (write) => append.immediate(write);
    // A deferred transaction: both reads see one snapshot of the file.
    this.#read = db.transaction((sessionId: string, path: string): Uint8Array | undefined => {
      if (this.#size.get(sessionId, path) === undefined) return undefined;
      return concatChunks(this.#chunks.all(sessionId, path).map((row) => row.data));
    });
    const deleteFile = db.transaction((sessionId: string, path: string) => {
      dropChunks.run(sessionId, path);
      dropFile.run(sessionId, path);
    });
    this.#deleteFile = (sessionId, path) => deleteFile.immediate(sessionId, path);
    // Nested in deleteSession's transaction it is a savepoint of it.
    const deleteAll = db.transaction((sessionId: string) => {
      dropAllChunks.run(sessionId);
      dropAllFiles.run(sessionId);
    });
    this.#deleteAll = (sessionId) => deleteAll.immediate(sessionId);
  }

  append(write: AgentStateWrite): number | undefined {
    return this.#append(write);
  }

  read(sessionId: string, path: string): Uint8Array | undefined {
    return this.#read(sessionId, path);
  }

  list(sessionId: string): AgentStateFileInfo[] {
    return this.#list.all(sessionId).map((row) => ({ path: row.path, size: row.size, updatedAt: row.updated_at }));
  }

  /** One file in its own transaction; every file of the session through {@link SQLiteAgentState.deleteSession}. */
  delete(sessionId: string, path: string | undefined): void {
    if (path === undefined) this.deleteSession(sessionId);
    else this.#deleteFile(sessionId, path);
  }

  /** Every file of the session, in one transaction (a savepoint of the caller's, inside deleteSession's). */
  deleteSession(sessionId: string): void {
    this.#deleteAll(sessionId);
  }
}
