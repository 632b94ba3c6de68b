import type { ResolvedAgentStateOptions } from "../agent-state/options.js";
import { writeBack, type WriteBackOutcome } from "../agent-state/restorer.js";
import { AgentStateSnapshotter } from "../agent-state/snapshotter.js";
import type { AgentStateDriver, AgentStateTarget } from "../agent-state/types.js";
import type { HttpEndpoint } from "../transport/http.js";
import { SandboxAgentFiles } from "../transport/sandbox-agent-fs.js";

// What copies agent state in and out of a sandbox: the snapshotter, the write-back and the
// runtime's file API. The client's AgentStateLink loads this module with the first snapshot
// or write-back, so apps that never get that far never load it.

/** The snapshotter and the write-back of one client, over one runtime's files. */
export interface AgentStateWork {
  snapshotter: AgentStateSnapshotter;
  writeBack(target: AgentStateTarget, signal: () => AbortSignal): Promise<WriteBackOutcome>;
}

/** Set up the copying for a runtime (`endpoint`) and a store with the agent state capability. */
export function agentStateWork(endpoint: HttpEndpoint, storage: AgentStateDriver, options: ResolvedAgentStateOptions, callTimeoutMs: number): AgentStateWork {
  const files = new SandboxAgentFiles(endpoint);
  return {
    snapshotter: new AgentStateSnapshotter({ files, storage, options, callTimeoutMs }),
    writeBack: (target, signal) => writeBack(files, storage, target, signal),
  };
}
