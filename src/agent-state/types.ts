import type { AgentStateStorage } from "../persist/agent-state.js";
import type { SessionPersistDriver } from "../persist/types.js";

/** The sandbox's files, as the runtime's file API offers them (sandbox-agent's `/v1/fs`). */
export interface SandboxFileAccess {
  /** Size of a file; undefined when it does not exist. */
  stat(path: string, signal?: AbortSignal): Promise<{ size: number } | undefined>;
  /** The whole file; undefined when it does not exist. */
  read(path: string, signal?: AbortSignal): Promise<Uint8Array | undefined>;
  /** Create or replace a file, with its parent directories. */
  write(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void>;
}

/** A driver with the agent state capability. */
export type AgentStateDriver = SessionPersistDriver & AgentStateStorage;

/** The session a snapshot or a write-back is about. */
export interface AgentStateTarget {
  /** The app's session id (the files are stored under it). */
  sessionId: string;
  /** The agent id on the runtime (selects the kind). */
  agent: string;
  /** The agent's session id. */
  agentSessionId: string;
  /** The session's working directory. */
  cwd: string;
}

/** What one snapshot did. */
export interface AgentStateSnapshotResult {
  /** Files found in the sandbox. */
  files: number;
  /** Bytes read from the sandbox. */
  bytesRead: number;
  /** Bytes written to the store (only the new tail of an append-only file). */
  bytesStored: number;
  /** How long it took, ms. */
  durationMs: number;
}

/** What a write-back did: the files put back into the sandbox before `session/load`. */
export interface AgentStateWriteBack {
  /** Files written into the sandbox. */
  files: number;
  /** Their bytes. */
  bytes: number;
}

/** Counters of agent state snapshots since the client was created; see `SandboxAgent.stats()`. */
export interface AgentStateStats {
  /** Whether snapshots are taken. */
  enabled: boolean;
  /** Why not, when they are not (switched off, no file API on this runtime, no capability in the driver). */
  disabledReason?: string;
  /** Snapshots completed. */
  snapshots: number;
  /** Snapshots that failed (each reported through `onError`). */
  snapshotFailures: number;
  /** Bytes read from sandboxes. */
  bytesRead: number;
  /** Bytes written to the store. */
  bytesStored: number;
  /** Time spent in completed snapshots, ms (they run in the background, after the turn). */
  snapshotMs: number;
  /** Sessions whose files were written back into a sandbox before `session/load`. */
  writeBacks: number;
  /** Write-backs that failed (reported; the session was replayed). */
  writeBackFailures: number;
  /** Write-backs not tried because the stored copy was older than the last completed turn. */
  staleSnapshots: number;
}
