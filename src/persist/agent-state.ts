import { PersistError } from "./errors.js";

// Agent state storage: an optional driver capability that keeps a coding agent's own session
// state files (Claude Code's JSONL transcript, say) outside the sandbox, so that after the
// sandbox is lost the client can write them back and `session/load` works. A file is an
// opaque byte string under `(sessionId, path)`, written by whole replacement (offset 0) or by
// appends at its stored size, never in the middle. See docs/agent-state.md.

/** What is stored of one agent state file of a session. */
export interface AgentStateFileInfo {
  /** The file's key, as given to {@link AgentStateStorage.appendAgentState}. */
  path: string;
  /** Its stored length in bytes. */
  size: number;
  /** When it was last written (replaced or appended to), epoch milliseconds. */
  updatedAt: number;
}

/**
 * The agent state capability of a driver: four methods a driver has all together or not at
 * all (detect it with `hasAgentState`). Every file belongs to a session; `deleteSession`
 * deletes a session's files with it.
 *
 * `path` is an opaque key chosen by the client (e.g. `"claude-code/projects/-work-x/3f2c.jsonl"`):
 * a non-empty string of at most {@link MAX_AGENT_STATE_PATH_LENGTH} UTF-16 units, well-formed
 * Unicode, without U+0000. Bad arguments are a `PersistValidationError` naming the field, and
 * nothing changes.
 */
export interface AgentStateStorage {
  /**
   * Write `data` into the file `path` of `sessionId` at `offset`, atomically (a reader never
   * sees half of it):
   * - `offset` 0 replaces the whole file with `data` (an empty `data` stores an empty file);
   * - `offset` equal to the stored size appends `data` (an empty `data` there changes nothing,
   *   not even `updatedAt`);
   * - any other `offset` (including any `offset` above 0 for a file not stored) rejects with
   *   {@link AgentStateOffsetError}, which carries the stored size, and nothing changes.
   *
   * Of writers racing to append at one offset, one wins and the others get
   * `AgentStateOffsetError`. Writes at offset 0 are replacements, never refused: of writers
   * racing there the last one wins, so appending to an empty file (size 0) is not ordered. `data` is copied: changing it afterwards changes nothing stored.
   * At most {@link MAX_AGENT_STATE_APPEND_BYTES} bytes per call (split larger writes).
   * The session record need not exist.
   */
  appendAgentState(sessionId: string, path: string, offset: number, data: Uint8Array): Promise<void>;
  /** The whole file, as a fresh array the caller may change; `undefined` when none is stored. */
  readAgentState(sessionId: string, path: string): Promise<Uint8Array | undefined>;
  /** Every file stored for `sessionId`, by `path` in code-point order; `[]` when none. */
  listAgentState(sessionId: string): Promise<AgentStateFileInfo[]>;
  /** Delete one file of `sessionId`, or all of them when `path` is absent; unknown ones are a no-op. */
  deleteAgentState(sessionId: string, path?: string): Promise<void>;
}

/** The most bytes one {@link AgentStateStorage.appendAgentState} call takes: 8 MiB. */
export const MAX_AGENT_STATE_APPEND_BYTES = 8 * 1024 * 1024;

/** The longest agent state `path`, in UTF-16 units. */
export const MAX_AGENT_STATE_PATH_LENGTH = 1024;

/**
 * An agent state write at an offset other than 0 or the stored size of the file: another
 * writer appended first, or the caller's idea of the file is stale. Nothing was changed;
 * read the file (or {@link AgentStateOffsetError.storedSize}) and write again from there.
 */
export class AgentStateOffsetError extends PersistError {
  /** The session of the file. */
  readonly sessionId: string;
  /** The file's path. */
  readonly path: string;
  /** The offset that was refused. */
  readonly offset: number;
  /** The file's stored size when the write was refused (0 when no file is stored). */
  readonly storedSize: number;

  constructor(sessionId: string, path: string, offset: number, storedSize: number) {
    super(
      "persist.agent_state_offset",
      `Agent state write at offset ${offset} of "${path}" in session "${sessionId}" refused: ` +
        `the stored size is ${storedSize} (write at 0 to replace, or at ${storedSize} to append); nothing was changed`,
    );
    this.sessionId = sessionId;
    this.path = path;
    this.offset = offset;
    this.storedSize = storedSize;
  }
}
