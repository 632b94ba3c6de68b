import { AgentStateOffsetError, type AgentStateFileInfo, type AgentStateStorage } from "./agent-state.js";
import { parseAgentStatePath, parseAgentStateWrite } from "./agent-state-schema.js";
import type { MaybePromise, PersistBackend } from "./backend.js";
import { parseSessionId } from "./schemas.js";

/** A backend with the four agent state primitives. */
export type AgentStateBackend = PersistBackend & Required<Pick<PersistBackend, AgentStatePrimitive>>;

type AgentStatePrimitive = "appendAgentState" | "readAgentState" | "listAgentState" | "deleteAgentState";

/** Whether `backend` has all four agent state primitives (a backend with some of them only is a mistake, refused). */
export function hasAgentStatePrimitives(backend: PersistBackend): backend is AgentStateBackend {
  const present = [backend.appendAgentState, backend.readAgentState, backend.listAgentState, backend.deleteAgentState]
    .filter((primitive) => typeof primitive === "function").length;
  if (present !== 0 && present !== 4) {
    throw new TypeError("A PersistBackend must have all four agent state primitives or none of them");
  }
  return present === 4;
}

/** What the kit's driver lends the agent state methods: its closed-state check and its backend call wrapper. */
export interface AgentStateGuard {
  /** Throw `DriverClosedError` once the driver is closed. */
  assertOpen(): void;
  /** Run one backend call, a failure after close turned into `DriverClosedError`. */
  call<T>(run: () => MaybePromise<T>): MaybePromise<T>;
}

/**
 * The agent state methods of a `PersistDriver` over `backend`: validation (nothing reaches the
 * backend unless valid), the closed state, a private copy of written data, and the offset
 * refusal as `AgentStateOffsetError`. `PersistDriver` installs them only when the backend has
 * the primitives, so a driver without them has no agent state methods at all.
 */
export function agentStateMethods(backend: AgentStateBackend, guard: AgentStateGuard): AgentStateStorage {
  return {
    async appendAgentState(sessionId: string, path: string, offset: number, data: Uint8Array): Promise<void> {
      guard.assertOpen();
      const id = parseSessionId(sessionId, "sessionId");
      parseAgentStateWrite(path, offset, data);
      // A copy the backend owns: the caller may change `data` as soon as this returns.
      const write = { sessionId: id, path, offset, data: new Uint8Array(data), updatedAt: Date.now() };
      const storedSize = await guard.call(() => backend.appendAgentState(write));
      if (storedSize !== undefined) throw new AgentStateOffsetError(id, path, offset, storedSize);
    },
    async readAgentState(sessionId: string, path: string): Promise<Uint8Array | undefined> {
      guard.assertOpen();
      const id = parseSessionId(sessionId, "sessionId");
      const file = parseAgentStatePath(path);
      return guard.call(() => backend.readAgentState(id, file));
    },
    async listAgentState(sessionId: string): Promise<AgentStateFileInfo[]> {
      guard.assertOpen();
      const id = parseSessionId(sessionId, "sessionId");
      return guard.call(() => backend.listAgentState(id));
    },
    async deleteAgentState(sessionId: string, path?: string): Promise<void> {
      guard.assertOpen();
      const id = parseSessionId(sessionId, "sessionId");
      const file = path === undefined ? undefined : parseAgentStatePath(path);
      return guard.call(() => backend.deleteAgentState(id, file));
    },
  };
}
