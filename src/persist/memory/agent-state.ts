import type { AgentStateFileInfo } from "../agent-state.js";
import { concatChunks } from "../agent-state-bytes.js";
import type { AgentStateWrite } from "../backend.js";
import { compareCodePoints } from "../cursor.js";

/** One stored file: its appends as written (each one a copy the kit handed over), never rewritten. */
interface StoredFile {
  chunks: Uint8Array[];
  size: number;
  updatedAt: number;
}

/**
 * The in-memory driver's agent state files, by session then path. An append keeps the kit's
 * copy as one more chunk, so appending never copies what is stored; a read concatenates.
 * Nothing else runs between the offset check and the write, so each write is atomic.
 */
export class MemoryAgentState {
  readonly #sessions = new Map<string, Map<string, StoredFile>>();

  /** Replace at 0, append at the stored size; otherwise the stored size and nothing changed. */
  append(write: AgentStateWrite): number | undefined {
    let files = this.#sessions.get(write.sessionId);
    const file = files?.get(write.path);
    if (write.offset === 0) {
      if (!files) this.#sessions.set(write.sessionId, (files = new Map()));
      const chunks = write.data.byteLength === 0 ? [] : [write.data];
      files.set(write.path, { chunks, size: write.data.byteLength, updatedAt: write.updatedAt });
      return undefined;
    }
    if (file === undefined || file.size !== write.offset) return file?.size ?? 0;
    if (write.data.byteLength === 0) return undefined; // an empty append changes nothing
    file.chunks.push(write.data);
    file.size += write.data.byteLength;
    file.updatedAt = write.updatedAt;
    return undefined;
  }

  /** A fresh array of the whole file. */
  read(sessionId: string, path: string): Uint8Array | undefined {
    const file = this.#sessions.get(sessionId)?.get(path);
    return file && concatChunks(file.chunks);
  }

  /** Path, size and time of every file of the session, by path in code-point order. */
  list(sessionId: string): AgentStateFileInfo[] {
    const files = this.#sessions.get(sessionId);
    if (!files) return [];
    return [...files]
      .map(([path, file]) => ({ path, size: file.size, updatedAt: file.updatedAt }))
      .sort((a, b) => compareCodePoints(a.path, b.path));
  }

  /** One file, or every file of the session. */
  delete(sessionId: string, path: string | undefined): void {
    if (path === undefined) {
      this.#sessions.delete(sessionId);
      return;
    }
    const files = this.#sessions.get(sessionId);
    if (!files) return;
    files.delete(path);
    if (files.size === 0) this.#sessions.delete(sessionId);
  }

  clear(): void {
    this.#sessions.clear();
  }
}
