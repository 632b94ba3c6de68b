import type { AgentStateStorage } from "../persist/agent-state.js";
import { listLatestEventsVia } from "../persist/capabilities.js";
import type { SessionPersistDriver } from "../persist/types.js";

// How a session's snapshot sits in the driver's agent state storage: each sandbox file under
// `file:<sandbox path>`, and a small JSON manifest saying which agent session the files are
// of and which turn they cover, written after the files, so a snapshot interrupted halfway,
// or one older than the last completed turn, is never taken for a whole one.

/** Storage key of the manifest. */
export const MANIFEST_KEY = "durable-agent/manifest.json";

/** Storage key of a sandbox file. */
export function fileKey(sandboxPath: string): string {
  return `file:${sandboxPath}`;
}

/** What the manifest holds. */
export interface SnapshotManifest {
  version: 1;
  /** The agent kind's name. */
  kind: string;
  /** The agent session the files hold. */
  agentSessionId: string;
  /** The files, as copied: sandbox path and whether it is append-only. */
  files: { path: string; appendOnly: boolean }[];
  /** `eventIndex` of the last completed turn's answer when the files were copied (-1: none yet). */
  coversEventIndex: number;
  /** When it was written, epoch ms. */
  at: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The stored manifest of a session, or undefined when none (or an unreadable one) is stored. */
export async function readManifest(storage: AgentStateStorage, sessionId: string): Promise<SnapshotManifest | undefined> {
  const bytes = await storage.readAgentState(sessionId, MANIFEST_KEY);
  if (bytes === undefined) return undefined;
  try {
    const parsed = JSON.parse(decoder.decode(bytes)) as SnapshotManifest;
    if (parsed?.version !== 1 || typeof parsed.agentSessionId !== "string" || !Array.isArray(parsed.files)) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

/** Replace the stored manifest. */
export function writeManifest(storage: AgentStateStorage, sessionId: string, manifest: SnapshotManifest): Promise<void> {
  return storage.appendAgentState(sessionId, MANIFEST_KEY, 0, encoder.encode(JSON.stringify(manifest)));
}

/** How far back the last completed turn is looked for: a short tail first, then a long one. */
const TURN_LOOKBACK = [500, 10_000];

/**
 * `eventIndex` of the agent's answer to the session's last completed prompt (a response whose
 * result has a `stopReason`), among its latest events; -1 when there is none among them.
 */
export async function lastTurnEnd(persist: SessionPersistDriver, sessionId: string): Promise<number> {
  for (const limit of TURN_LOOKBACK) {
    const tail = await listLatestEventsVia(persist, sessionId, limit);
    for (let i = tail.length - 1; i >= 0; i--) {
      const event = tail[i]!;
      const result = (event.payload as { result?: { stopReason?: unknown } | null }).result;
      if (event.sender === "agent" && typeof result?.stopReason === "string") return event.eventIndex;
    }
    // The whole history was read.
    if (tail.length < limit) break;
  }
  return -1;
}
