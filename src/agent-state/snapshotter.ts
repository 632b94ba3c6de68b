import { AgentStateOffsetError } from "../persist/agent-state.js";
import { writeAgentStateChunked } from "../persist/agent-state-write.js";
import { AgentStateSnapshotError, AgentStateTooLargeError } from "./errors.js";
import { filesOf, type AgentStateFile, type AgentStateKind } from "./kind.js";
import { fileKey, lastTurnEnd, readManifest, writeManifest, type SnapshotManifest } from "./manifest.js";
import type { ResolvedAgentStateOptions } from "./options.js";
import type { AgentStateDriver, AgentStateSnapshotResult, AgentStateTarget, SandboxFileAccess } from "./types.js";

// Copies a session's agent state files out of the sandbox into the store. Append-only files
// are stored incrementally: the runtime's file API has no ranged read, so the whole file is
// read, checked to still begin with what is stored, and only the bytes past the stored size
// are appended. Anything else (a shorter file, a changed beginning, a file that is not
// append-only and changed) is stored whole again.

/** Bytes kept per file to check cheaply that the next read still begins with what is stored. */
const TAIL_CHECK_BYTES = 256;

/** What this client last stored of a file: its size, and its last bytes (append-only) or digest. */
interface KnownCopy {
  size: number;
  check: Uint8Array;
}

/** What the snapshotter needs. */
export interface SnapshotterDeps {
  files: SandboxFileAccess;
  storage: AgentStateDriver;
  options: ResolvedAgentStateOptions;
  /** Deadline of each call to the runtime or the store, ms. */
  callTimeoutMs: number;
}

/** One session's snapshots, taken one at a time. */
export class AgentStateSnapshotter {
  /** Per session and file key: what this client last stored. */
  private readonly known = new Map<string, KnownCopy>();

  constructor(private readonly deps: SnapshotterDeps) {}

  /** The kind registered for `agent`, if any. */
  kindOf(agent: string): AgentStateKind | undefined {
    return this.deps.options.kinds.get(agent);
  }

  /**
   * Copy the session's files now. `covers` is the last completed turn the copy is for (its
   * answer's `eventIndex`, read when the turn ended): the manifest claims no later turn, even
   * if the files already hold part of one. Default: the last completed turn now. Resolves
   * undefined when the agent has no kind. Throws
   * {@link AgentStateTooLargeError} (after dropping the stored copy) or
   * {@link AgentStateSnapshotError}.
   */
  async snapshot(target: AgentStateTarget, signal: AbortSignal, covers?: Promise<number>): Promise<AgentStateSnapshotResult | undefined> {
    const kind = this.kindOf(target.agent);
    if (kind === undefined || target.agentSessionId === "") return undefined;
    const started = performance.now();
    const { storage } = this.deps;
    const { sessionId } = target;
    try {
      const files = filesOf(kind, { agentSessionId: target.agentSessionId, cwd: target.cwd });
      const coversEventIndex = await (covers ?? lastTurnEnd(storage, sessionId));
      const manifest = await readManifest(storage, sessionId);
      let stored = new Map((await storage.listAgentState(sessionId)).map((info) => [info.path, info.size]));
      if (manifest !== undefined && manifest.agentSessionId !== target.agentSessionId) {
        // The session is bound to another agent session now: the old one's files are of no use.
        await this.drop(sessionId);
        stored = new Map();
      }
      const result: AgentStateSnapshotResult = { files: 0, bytesRead: 0, bytesStored: 0, durationMs: 0 };
      let total = 0;
      for (const file of files) {
        const stat = await this.deps.files.stat(file.path, this.signalFor(signal));
        if (stat === undefined) continue;
        total += stat.size;
        if (stat.size > this.deps.options.maxFileBytes) await this.tooLarge(sessionId, file.path, stat.size, this.deps.options.maxFileBytes, "file");
        if (total > this.deps.options.maxSessionBytes) await this.tooLarge(sessionId, file.path, total, this.deps.options.maxSessionBytes, "session");
        result.files++;
        const key = fileKey(file.path);
        if (file.appendOnly && stored.get(key) === stat.size) continue;
        const data = await this.deps.files.read(file.path, this.signalFor(signal));
        if (data === undefined) continue;
        result.bytesRead += data.length;
        result.bytesStored += await this.store(sessionId, file, data, stored.get(key));
      }
      // Nothing in the sandbox yet (or no file where the kind looks): nothing to describe.
      if (result.files === 0) return { ...result, durationMs: performance.now() - started };
      const next: SnapshotManifest = {
        version: 1,
        kind: kind.name,
        agentSessionId: target.agentSessionId,
        files: files.map(({ path, appendOnly }) => ({ path, appendOnly })),
        coversEventIndex,
        at: Date.now(),
      };
      await writeManifest(storage, sessionId, next);
      result.durationMs = performance.now() - started;
      return result;
    } catch (error) {
      if (error instanceof AgentStateTooLargeError || error instanceof AgentStateSnapshotError) throw error;
      throw new AgentStateSnapshotError(sessionId, (error as Error)?.message ?? String(error), { cause: error });
    }
  }

  /** Forget and delete the session's stored copy (files and manifest). */
  async drop(sessionId: string): Promise<void> {
    for (const key of this.known.keys()) if (key.startsWith(`${sessionId}\0`)) this.known.delete(key);
    await this.deps.storage.deleteAgentState(sessionId);
  }

  /** Store `data` as the file's new content; returns the bytes written to the store. */
  private async store(sessionId: string, file: AgentStateFile, data: Uint8Array, storedSize: number | undefined): Promise<number> {
    const key = fileKey(file.path);
    const known = this.knownKey(sessionId, key);
    let written: number;
    if (file.appendOnly && storedSize !== undefined && storedSize > 0 && data.length >= storedSize && (await this.beginsWithStored(sessionId, key, data, storedSize))) {
      written = await this.write(sessionId, key, storedSize, data.subarray(storedSize)).catch(async (error: unknown) => {
        // Another client appended meanwhile: store the whole file as read now.
        if (!(error instanceof AgentStateOffsetError)) throw error;
        return this.write(sessionId, key, 0, data);
      });
    } else if (!file.appendOnly && storedSize === data.length && equalBytes(this.known.get(known)?.check, await digest(data))) {
      written = 0;
    } else {
      written = await this.write(sessionId, key, 0, data);
    }
    this.known.set(known, { size: data.length, check: file.appendOnly ? data.slice(Math.max(0, data.length - TAIL_CHECK_BYTES)) : await digest(data) });
    return written;
  }

  /** Whether `data` begins with the stored copy of its first `storedSize` bytes. */
  private async beginsWithStored(sessionId: string, key: string, data: Uint8Array, storedSize: number): Promise<boolean> {
    const known = this.known.get(this.knownKey(sessionId, key));
    if (known?.size === storedSize) {
      return equalBytes(known.check, data.subarray(Math.max(0, storedSize - known.check.length), storedSize));
    }
    // First snapshot of this file by this client: compare with the stored copy once.
    const stored = await this.deps.storage.readAgentState(sessionId, key);
    return stored !== undefined && stored.length === storedSize && equalBytes(stored, data.subarray(0, storedSize));
  }

  /** Write `data` at `offset` in chunks the driver takes; returns the bytes written. */
  private write(sessionId: string, key: string, offset: number, data: Uint8Array): Promise<number> {
    return writeAgentStateChunked(this.deps.storage, sessionId, key, offset, data);
  }

  private async tooLarge(sessionId: string, path: string, size: number, limit: number, which: "file" | "session"): Promise<never> {
    await this.drop(sessionId);
    throw new AgentStateTooLargeError(sessionId, path, size, limit, which);
  }

  private signalFor(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, AbortSignal.timeout(this.deps.callTimeoutMs)]);
  }

  private knownKey(sessionId: string, key: string): string {
    return `${sessionId}\0${key}`;
  }
}

function equalBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function digest(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
}
