import { fileKey, lastTurnEnd, readManifest } from "./manifest.js";
import type { AgentStateDriver, AgentStateTarget, AgentStateWriteBack, SandboxFileAccess } from "./types.js";

// Puts a session's stored agent state back into a sandbox that lost it, so that `session/load`
// finds the session again. Only a whole snapshot of the session's current agent session that
// covers its last completed turn is used, and a file the sandbox still has is never
// overwritten (the agent's own copy is newer than, or equal to, the stored one).

/** Why nothing was written back. */
export type WriteBackSkip = "none" | "other-agent-session" | "stale" | "present" | "incomplete";

/** The outcome of {@link writeBack}. */
export type WriteBackOutcome = { written: AgentStateWriteBack } | { skipped: WriteBackSkip };

/** Write the stored files of `target` back into the sandbox where they are missing. Throws on a failing runtime or store. */
export async function writeBack(files: SandboxFileAccess, storage: AgentStateDriver, target: AgentStateTarget, signal: () => AbortSignal): Promise<WriteBackOutcome> {
  const manifest = await readManifest(storage, target.sessionId);
  if (manifest === undefined) return { skipped: "none" };
  if (manifest.agentSessionId !== target.agentSessionId) return { skipped: "other-agent-session" };
  if ((await lastTurnEnd(storage, target.sessionId)) > manifest.coversEventIndex) return { skipped: "stale" };
  const missing: { path: string; data: Uint8Array }[] = [];
  for (const file of manifest.files) {
    if ((await files.stat(file.path, signal())) !== undefined) continue;
    const data = await storage.readAgentState(target.sessionId, fileKey(file.path));
    // A file the sandbox had at the snapshot is stored; one it did not have yet is not.
    if (data === undefined) continue;
    missing.push({ path: file.path, data });
  }
  if (missing.length === 0) return { skipped: manifest.files.length === 0 ? "incomplete" : "present" };
  let bytes = 0;
  for (const { path, data } of missing) {
    await files.write(path, data, signal());
    bytes += data.length;
  }
  return { written: { files: missing.length, bytes } };
}
