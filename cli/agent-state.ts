import { createHash } from "node:crypto";
import { MANIFEST_KEY } from "../src/agent-state/manifest.js";
import type { AgentStateFileInfo, AgentStateStorage } from "../src/persist/agent-state.js";
import { writeAgentStateChunked } from "../src/persist/agent-state-write.js";
import { hasAgentState } from "../src/persist/capabilities.js";
import { compareCodePoints } from "../src/persist/cursor.js";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import type { StoreDriver } from "./open-store.js";

// Agent state files (docs/agent-state.md) as the CLI moves them: whole files, compared byte
// for byte, written in appends of at most 8 MiB (the first at offset 0), with a session's
// manifest written after its other files, so a copy cut short is never a whole snapshot to a
// restoring client (it restores from the manifest's files; without a manifest it replays).

/** The store's agent state storage, or `undefined` when its driver has no such capability. */
export function agentStateOf(driver: StoreDriver): AgentStateStorage | undefined {
  return hasAgentState(driver) ? driver : undefined;
}

/** `files` in the order the CLI writes them: by path in code-point order, the manifest last. */
export function writeOrder<T extends { path: string }>(files: readonly T[]): T[] {
  const rest = files.filter((f) => f.path !== MANIFEST_KEY).sort((a, b) => compareCodePoints(a.path, b.path));
  return [...rest, ...files.filter((f) => f.path === MANIFEST_KEY)];
}

/** How a stored copy of a file stands against the bytes wanted there. */
export type FileStanding = "absent" | "same" | "prefix" | "different";

/** Compare `stored` (the target's file, `undefined`: none) with `wanted`: a strict prefix can be completed by appending. */
export function standing(stored: Uint8Array | undefined, wanted: Uint8Array): FileStanding {
  if (stored === undefined) return "absent";
  if (stored.length > wanted.length) return "different";
  const head = Buffer.from(wanted.buffer, wanted.byteOffset, stored.length);
  if (!head.equals(stored)) return "different";
  return stored.length === wanted.length ? "same" : "prefix";
}

/**
 * Write `data` into the target's file from byte `from` on, in appends of at most 8 MiB: `from`
 * 0 replaces the file, `from` equal to its stored size completes a prefix. Returns the bytes written.
 */
export function writeFile(target: AgentStateStorage, sessionId: string, path: string, data: Uint8Array, from = 0): Promise<number> {
  return writeAgentStateChunked(target, sessionId, path, from, data.subarray(from));
}

/** SHA-256 of a file's bytes, hex. */
export function digest(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The files of one session and their total size. */
export async function sessionFiles(storage: AgentStateStorage, sessionId: string): Promise<{ files: AgentStateFileInfo[]; bytes: number }> {
  const files = await storage.listAgentState(sessionId);
  return { files, bytes: files.reduce((n, f) => n + f.size, 0) };
}

/** Sizes for people: `512 B`, `14.2 KB`, `9.0 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} KB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

/**
 * The refusal to leave agent state files behind: the target cannot store them and the command
 * was not told to go without them (exit 5, nothing written).
 */
export function agentStateUnsupported(target: string, found: { sessions: number; files: number; bytes: number }, command: string): CliError {
  return new CliError(
    "cli.agent_state_unsupported",
    EXIT.dataRefused,
    `${found.sessions} session(s) have agent state files (${found.files} file(s), ${formatBytes(found.bytes)}) and ${target} cannot store agent state: ` +
      `${command} would leave them behind, so nothing was written. Pass --without-agent-state to ${command} without them ` +
      `(a lost sandbox of those sessions is then restored by a replay of their history, not by session/load)`,
  );
}
