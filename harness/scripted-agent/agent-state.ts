// The scripted agent's session state as an agent state kind: how another agent kind is
// described with the public API (docs/agent-state.md), and what the e2e tests snapshot.
import { defineAgentStateKind, type AgentStateKind } from "../../src/agent-state/index.js";
import { scriptedSessionFile } from "./transcript.js";

/** The scripted agent's state: its append-only JSONL file per session under `stateDir` (a path in the sandbox). */
export function scriptedAgentState(stateDir: string): AgentStateKind {
  return defineAgentStateKind({
    name: "scripted-agent",
    files: ({ agentSessionId }) => [{ path: scriptedSessionFile(stateDir, agentSessionId), appendOnly: true }],
  });
}
