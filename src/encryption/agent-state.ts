import { AgentStateOffsetError, MAX_AGENT_STATE_APPEND_BYTES, type AgentStateFileInfo, type AgentStateStorage } from "../persist/agent-state.js";
import { concatChunks } from "../persist/agent-state-bytes.js";
import { parseAgentStatePath, parseAgentStateWrite } from "../persist/agent-state-schema.js";
import { parseSessionId } from "../persist/schemas.js";
import { encodeFrame, FRAME_PLAINTEXT_BYTES, isFramed, parseFrames, plaintextSize } from "./agent-state-frames.js";
import { DecryptionFailedError } from "./errors.js";
import type { Keyring } from "./keyring.js";

// Agent state files through the encryption decorator: each append is stored as encrypted
// frames (agent-state-frames.ts) appended to the wrapped driver's file, so a file stays
// append-only in the store and an append costs what it adds. Offsets the caller sees are
// plaintext offsets; the wrapped driver sees framed ones. The mapping (framed size ->
// plaintext size) is cached per file for what this decorator wrote or read; anything else is
// learnt by reading the file's frame headers once.

/** The sizes of one stored file: in the wrapped driver, and of its plaintext. */
interface FileSizes {
  stored: number;
  plain: number;
  /** False for a file stored in clear before encryption (read only with `readPlaintext`). */
  framed: boolean;
}

/** Files whose sizes are remembered, at most. */
const CACHED_FILES = 4096;

/** The agent state methods of an encrypted driver, plus the hooks its other methods call. */
export interface EncryptedAgentState extends AgentStateStorage {
  /** Forget what is cached of a session's files (it was deleted). */
  forgetSession(sessionId: string): void;
  /** Forget everything cached (the driver was closed). */
  forgetAll(): void;
}

const context = (sessionId: string, path: string, plainOffset: number): string => JSON.stringify(["agent-state", sessionId, path, plainOffset]);
const describe = (sessionId: string, path: string): string => `agent state file "${path}" of session "${sessionId}"`;
const cacheKey = (sessionId: string, path: string): string => `${sessionId}\u0000${path}`;

/**
 * Agent state methods that encrypt every file under `keyring` (the writing key; frames under
 * older keys still decrypt) and store it through `inner`. See docs/encryption.md.
 */
export function encryptedAgentState(inner: AgentStateStorage, keyring: Keyring, readPlaintext: boolean): EncryptedAgentState {
  const sizes = new Map<string, FileSizes>();
  const remember = (sessionId: string, path: string, value: FileSizes): void => {
    const key = cacheKey(sessionId, path);
    sizes.delete(key);
    sizes.set(key, value);
    if (sizes.size > CACHED_FILES) sizes.delete(sizes.keys().next().value!);
  };
  const forget = (sessionId: string, path: string): void => void sizes.delete(cacheKey(sessionId, path));
  const forgetSession = (sessionId: string): void => {
    const prefix = cacheKey(sessionId, "");
    for (const key of [...sizes.keys()]) if (key.startsWith(prefix)) sizes.delete(key);
  };

  /** The sizes of what is stored at `path` now, learnt from `stored` (the wrapped driver's bytes). */
  const learn = (sessionId: string, path: string, stored: Uint8Array): FileSizes => {
    const where = describe(sessionId, path);
    let value: FileSizes;
    if (isFramed(stored)) value = { stored: stored.length, plain: plaintextSize(parseFrames(stored, where)), framed: true };
    else if (readPlaintext) value = { stored: stored.length, plain: stored.length, framed: false };
    else throw new DecryptionFailedError("plaintext", where);
    remember(sessionId, path, value);
    return value;
  };

  /** The file's sizes: remembered, or read from the store; undefined when no file is stored. */
  const sizesOf = async (sessionId: string, path: string): Promise<FileSizes | undefined> => {
    const known = sizes.get(cacheKey(sessionId, path));
    if (known !== undefined) return known;
    const stored = await inner.readAgentState(sessionId, path);
    return stored === undefined ? undefined : learn(sessionId, path, stored);
  };

  /**
   * Encrypt `data` as frames starting at plaintext offset `plainOffset` and write them at
   * `storedOffset` of the wrapped file (0: replace it), in as few writes as the driver takes
   * (one, unless `data` is close to the 8 MiB limit).
   */
  const writeFrames = async (sessionId: string, path: string, storedOffset: number, plainOffset: number, data: Uint8Array): Promise<void> => {
    const writes: Uint8Array[][] = [[]];
    let pending = 0;
    // Empty `data` makes one empty write: at 0 that stores an empty file.
    for (let from = 0; from < data.length; from += FRAME_PLAINTEXT_BYTES) {
      const plain = data.subarray(from, from + FRAME_PLAINTEXT_BYTES);
      const frame = encodeFrame(await keyring.encryptBytes(plain, context(sessionId, path, plainOffset + from), "random"), plain.length);
      if (pending + frame.length > MAX_AGENT_STATE_APPEND_BYTES) {
        writes.push([]);
        pending = 0;
      }
      writes.at(-1)!.push(frame);
      pending += frame.length;
    }
    let at = storedOffset;
    try {
      for (const frames of writes) {
        const bytes = concatChunks(frames);
        await inner.appendAgentState(sessionId, path, at, bytes);
        at += bytes.length;
      }
    } catch (error) {
      forget(sessionId, path);
      throw error;
    }
    remember(sessionId, path, { stored: at, plain: plainOffset + data.length, framed: true });
  };

  return {
    async appendAgentState(sessionId: string, path: string, offset: number, data: Uint8Array): Promise<void> {
      const id = parseSessionId(sessionId, "sessionId");
      parseAgentStateWrite(path, offset, data);
      // Our own copy: the caller may change `data` while it is being encrypted.
      const copy = new Uint8Array(data);
      if (offset === 0) return writeFrames(id, path, 0, 0, copy);
      let current = await sizesOf(id, path);
      if (current?.plain !== offset) {
        // Refuse on what is stored now, not on what was remembered.
        forget(id, path);
        current = await sizesOf(id, path);
      }
      if (current === undefined || current.plain !== offset) throw new AgentStateOffsetError(id, path, offset, current?.plain ?? 0);
      if (copy.length === 0) return;
      if (!current.framed) {
        // Stored in clear before encryption: rewrite it encrypted, with the append.
        const clear = (await inner.readAgentState(id, path)) ?? new Uint8Array();
        if (clear.length !== current.stored) throw new AgentStateOffsetError(id, path, offset, clear.length);
        return writeFrames(id, path, 0, 0, concatChunks([clear, copy]));
      }
      try {
        await writeFrames(id, path, current.stored, current.plain, copy);
      } catch (error) {
        if (!(error instanceof AgentStateOffsetError)) throw error;
        // Another writer changed the file: report its plaintext size now.
        const now = await sizesOf(id, path);
        throw new AgentStateOffsetError(id, path, offset, now?.plain ?? 0);
      }
    },

    async readAgentState(sessionId: string, path: string): Promise<Uint8Array | undefined> {
      const id = parseSessionId(sessionId, "sessionId");
      const file = parseAgentStatePath(path);
      const stored = await inner.readAgentState(id, file);
      if (stored === undefined) return undefined;
      const where = describe(id, file);
      if (!isFramed(stored)) {
        if (!readPlaintext) throw new DecryptionFailedError("plaintext", where);
        learn(id, file, stored);
        return stored;
      }
      const frames = parseFrames(stored, where);
      const plain = await Promise.all(
        frames.map((frame, i) => keyring.decryptBytes(frame, context(id, file, frame.plainOffset), `${where} (frame ${i})`)),
      );
      remember(id, file, { stored: stored.length, plain: plaintextSize(frames), framed: true });
      return concatChunks(plain);
    },

    async listAgentState(sessionId: string): Promise<AgentStateFileInfo[]> {
      const id = parseSessionId(sessionId, "sessionId");
      const files = await inner.listAgentState(id);
      const out: AgentStateFileInfo[] = [];
      for (const info of files) {
        let known = sizes.get(cacheKey(id, info.path));
        if (known?.stored !== info.size) {
          const stored = await inner.readAgentState(id, info.path);
          // Deleted since it was listed.
          if (stored === undefined) continue;
          known = learn(id, info.path, stored);
        }
        out.push({ ...info, size: known.plain });
      }
      return out;
    },

    async deleteAgentState(sessionId: string, path?: string): Promise<void> {
      const id = parseSessionId(sessionId, "sessionId");
      const file = path === undefined ? undefined : parseAgentStatePath(path);
      try {
        await inner.deleteAgentState(id, file);
      } finally {
        if (file === undefined) forgetSession(id);
        else forget(id, file);
      }
    },

    forgetSession,

    forgetAll(): void {
      sizes.clear();
    },
  };
}
