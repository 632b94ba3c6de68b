import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import { concatChunks } from "../../src/persist/agent-state-bytes.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";
import { compareCodePoints } from "../../src/persist/cursor.js";
import type { Connection } from "./connection.js";
import { IndexedDbUnavailableError } from "./errors.js";
import { AGENT_STATE } from "./names.js";
import type { AgentStateChunkRow } from "./schema.js";
import { request, transact } from "./transaction.js";

// The IndexedDB driver's agent state: one row per append in the `agentState` store, keyed
// [sessionId, path, offset], so an append adds one row and never rewrites what is stored. A
// file's size is the end of its last chunk and its time that chunk's `storedAt`: chunks are
// only ever added at the end, and a replace drops them all first. An empty file is one empty
// chunk at 0. Readwrite transactions on one store never overlap (across tabs too), so the size
// check and the write of an append are atomic.

function keyRange(): typeof IDBKeyRange {
  const ctor = (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
  if (!ctor) throw new IndexedDbUnavailableError("IDBKeyRange");
  return ctor;
}

/** Every chunk of one file, by offset. */
function chunksOf(sessionId: string, path: string): IDBKeyRange {
  return keyRange().bound([sessionId, path, -Infinity], [sessionId, path, Infinity]);
}

/** Every chunk of every file of a session (an array key sorts after every string). */
function filesOf(sessionId: string): IDBKeyRange {
  return keyRange().bound([sessionId], [sessionId, []]);
}

/** The value under a cursor request's first position, or `null` at the end. */
function firstRow(req: IDBRequest<IDBCursorWithValue | null>): Promise<AgentStateChunkRow | null> {
  return request(req).then((cursor) => (cursor === null ? null : (cursor.value as AgentStateChunkRow)));
}

/** Replace at 0, append at the stored size; otherwise the stored size, nothing written. */
export function appendAgentState(connection: Connection, w: AgentStateWrite): Promise<number | undefined> {
  return transact(connection, "appendAgentState", [AGENT_STATE], "readwrite", async (tx) => {
    const store = tx.objectStore(AGENT_STATE);
    const row: AgentStateChunkRow = { sessionId: w.sessionId, path: w.path, offset: w.offset, data: w.data, storedAt: w.updatedAt };
    if (w.offset === 0) {
      store.delete(chunksOf(w.sessionId, w.path));
      await request(store.put(row));
      return undefined;
    }
    const last = await firstRow(store.openCursor(chunksOf(w.sessionId, w.path), "prev"));
    const size = last === null ? 0 : last.offset + last.data.byteLength;
    if (size !== w.offset) return size;
    // An empty append changes nothing (no chunk, no new time).
    if (w.data.byteLength > 0) await request(store.add(row));
    return undefined;
  });
}

/** Every chunk of the file in one request, concatenated; `undefined` when it has none. */
export async function readAgentState(connection: Connection, sessionId: string, path: string): Promise<Uint8Array | undefined> {
  const rows = await transact(connection, "readAgentState", [AGENT_STATE], "readonly", (tx) =>
    request(tx.objectStore(AGENT_STATE).getAll(chunksOf(sessionId, path)) as IDBRequest<AgentStateChunkRow[]>),
  );
  if (rows.length === 0) return undefined;
  return concatChunks(rows.map((row) => row.data));
}

/**
 * The last chunk of each file, found by walking the session's keys backwards and jumping
 * from each file's last chunk to the previous file's (one step per file, not per chunk).
 */
export async function listAgentState(connection: Connection, sessionId: string): Promise<AgentStateFileInfo[]> {
  const files = await transact(connection, "listAgentState", [AGENT_STATE], "readonly", (tx) => {
    const req = tx.objectStore(AGENT_STATE).openCursor(filesOf(sessionId), "prev");
    return new Promise<AgentStateFileInfo[]>((resolve, reject) => {
      const found: AgentStateFileInfo[] = [];
      req.onsuccess = () => {
        const cursor = req.result;
        if (cursor === null) {
          resolve(found);
          return;
        }
        const row = cursor.value as AgentStateChunkRow;
        found.push({ path: row.path, size: row.offset + row.data.byteLength, updatedAt: row.storedAt });
        cursor.continue([sessionId, row.path, -Infinity]);
      };
      req.onerror = () => reject(req.error ?? new DOMException("The cursor failed", "UnknownError"));
    });
  });
  // IndexedDB orders strings by UTF-16 code unit; listings are in code-point order.
  return files.sort((a, b) => compareCodePoints(a.path, b.path));
}

/** One file, or every file of the session: one range delete. */
export async function deleteAgentState(connection: Connection, sessionId: string, path: string | undefined): Promise<void> {
  await transact(connection, "deleteAgentState", [AGENT_STATE], "readwrite", (tx) =>
    request(tx.objectStore(AGENT_STATE).delete(path === undefined ? filesOf(sessionId) : chunksOf(sessionId, path))),
  );
}

/** The range delete of a session's agent state, inside deleteSession's transaction. */
export function deleteSessionAgentState(tx: IDBTransaction, sessionId: string): Promise<undefined> {
  return request(tx.objectStore(AGENT_STATE).delete(filesOf(sessionId)));
}
