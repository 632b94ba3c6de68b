import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";
import { compareCodePoints } from "../../src/persist/cursor.js";
import { errno, readAt, syncData, syncDirectory, writeAll, writeFileAtomic, type FsyncPolicy } from "./io.js";
import { safeName, sessionName } from "./names.js";

// The file store's agent state:
//
//   <directory>/agent-state/<session name>/<file name>.json        path, size, time, data file
//   <directory>/agent-state/<session name>/<file name>.<gen>.bin   the bytes (appended to)
//
// The JSON file is the commit point: replaced by temp file + rename after the bytes are on
// disk, it says how many bytes of the data file are the file. An append writes at that size
// (cutting any tail a crashed append left) and then commits the new size, so a reader, which
// takes no lock, reads the committed size and never half an append. A replace writes a new data
// file (a new generation) and commits it, then removes the old one; a reader that loses the
// old one under its feet reads again. Writes run under the store's write lock (lock.ts).

/** What a file's JSON file holds. */
interface FileMeta {
  /** The agent state path, as given. */
  path: string;
  /** Committed length of the data file, in bytes. */
  size: number;
  /** Time of the last write, epoch milliseconds. */
  updatedAt: number;
  /** Name of the data file, beside the JSON file. */
  data: string;
}

const META = ".json";
/** A reader that finds the data file replaced this many times in a row gives up (a writer replacing without pause). */
const READ_ATTEMPTS = 20;

export class FileAgentState {
  readonly #root: string;
  readonly #trash: string;
  readonly #fsync: FsyncPolicy;

  /** @param directory the store's directory; @param trash where deleted directories go on their way out. */
  constructor(directory: string, trash: string, fsync: FsyncPolicy) {
    this.#root = join(directory, "agent-state");
    this.#trash = trash;
    this.#fsync = fsync;
  }

  #sessionDir(sessionId: string): string {
    return join(this.#root, sessionName(sessionId));
  }

  /** Under the lock: replace at 0, append at the committed size; otherwise the committed size. */
  append(w: AgentStateWrite): number | undefined {
    const dir = this.#sessionDir(w.sessionId);
    const base = safeName("f-", w.path);
    const meta = readMeta(dir, base);
    if (w.offset === 0) {
      this.#replace(dir, base, w, meta);
      return undefined;
    }
    const size = meta?.size ?? 0;
    if (meta === undefined || size !== w.offset) return size;
    if (w.data.byteLength === 0) return undefined; // an empty append changes nothing
    const fd = openSync(join(dir, meta.data), "r+");
    try {
      if (fstatSync(fd).size !== size) ftruncateSync(fd, size); // the tail of a crashed append
      writeAll(fd, bytes(w.data), size);
      syncData(fd, this.#fsync);
    } finally {
      closeSync(fd);
    }
    writeFileAtomic(join(dir, base + META), JSON.stringify({ ...meta, size: size + w.data.byteLength, updatedAt: w.updatedAt }), this.#fsync);
    return undefined;
  }

  /** No lock: the committed bytes of the file, or `undefined`. */
  read(sessionId: string, path: string): Uint8Array | undefined {
    const dir = this.#sessionDir(sessionId);
    const base = safeName("f-", path);
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const meta = readMeta(dir, base);
      if (meta === undefined) return undefined;
      let fd: number;
      try {
        fd = openSync(join(dir, meta.data), "r");
      } catch (error) {
        if (errno(error) === "ENOENT") continue; // replaced meanwhile: read the new one
        throw error;
      }
      try {
        const data = readAt(fd, 0, meta.size);
        if (data.length !== meta.size) {
          throw new Error(`Agent state "${path}" of session "${sessionId}" is damaged: ${data.length} of ${meta.size} bytes on disk`);
        }
        return new Uint8Array(data);
      } finally {
        closeSync(fd);
      }
    }
    throw new Error(`Agent state "${path}" of session "${sessionId}" was replaced ${READ_ATTEMPTS} times while being read`);
  }

  /** No lock: every committed file of the session, by path in code-point order. */
  list(sessionId: string): AgentStateFileInfo[] {
    const dir = this.#sessionDir(sessionId);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (error) {
      if (errno(error) === "ENOENT") return [];
      throw error;
    }
    const files: AgentStateFileInfo[] = [];
    for (const name of names) {
      if (!name.endsWith(META)) continue;
      const meta = readMeta(dir, name.slice(0, -META.length));
      if (meta !== undefined) files.push({ path: meta.path, size: meta.size, updatedAt: meta.updatedAt });
    }
    return files.sort((a, b) => compareCodePoints(a.path, b.path));
  }

  /** Under the lock: one file (its JSON file first, the commit point), or the session's whole directory. */
  delete(sessionId: string, path: string | undefined): void {
    const dir = this.#sessionDir(sessionId);
    if (path === undefined) {
      this.#deleteDir(dir);
      return;
    }
    const base = safeName("f-", path);
    try {
      unlinkSync(join(dir, base + META));
    } catch (error) {
      if (errno(error) === "ENOENT") return;
      throw error;
    }
    syncDirectory(dir, this.#fsync);
    removeDataFiles(dir, base, undefined);
  }

  /** Under the lock: the new bytes in a new data file, then the JSON file pointing at it, then the old data gone. */
  #replace(dir: string, base: string, w: AgentStateWrite, meta: FileMeta | undefined): void {
    if (meta === undefined) {
      mkdirSync(dir, { recursive: true });
      syncDirectory(this.#root, this.#fsync);
    }
    const data = `${base}.${randomBytes(6).toString("hex")}.bin`;
    const fd = openSync(join(dir, data), "wx");
    try {
      writeAll(fd, bytes(w.data), 0);
      syncData(fd, this.#fsync);
    } finally {
      closeSync(fd);
    }
    const next: FileMeta = { path: w.path, size: w.data.byteLength, updatedAt: w.updatedAt, data };
    writeFileAtomic(join(dir, base + META), JSON.stringify(next), this.#fsync);
    removeDataFiles(dir, base, data);
  }

  /** One rename takes the directory out of the way, then it is removed. */
  #deleteDir(dir: string): void {
    const trash = join(this.#trash, `agent-state-${randomBytes(8).toString("hex")}`);
    mkdirSync(this.#trash, { recursive: true });
    try {
      renameSync(dir, trash);
    } catch (error) {
      if (errno(error) === "ENOENT") return;
      throw error;
    }
    syncDirectory(this.#root, this.#fsync);
    rmSync(trash, { recursive: true, force: true });
  }
}

/** The bytes as a Buffer over the same memory (no copy). */
function bytes(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The committed state of one file, or `undefined` when none is stored. */
function readMeta(dir: string, base: string): FileMeta | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, base + META), "utf8");
  } catch (error) {
    if (errno(error) === "ENOENT") return undefined;
    throw error;
  }
  return JSON.parse(text) as FileMeta;
}

/**
 * Under the lock: remove the data files of `base` other than `keep` (old generations, or
 * leftovers of a crashed replace) and the temp files a crashed commit left.
 */
function removeDataFiles(dir: string, base: string, keep: string | undefined): void {
  for (const name of readdirSync(dir)) {
    const stale = (name.startsWith(`${base}.`) && name.endsWith(".bin") && name !== keep) || name.startsWith(`${base}${META}.tmp-`);
    if (stale) rmSync(join(dir, name), { force: true });
  }
}
