import { MAX_AGENT_STATE_APPEND_BYTES, type AgentStateStorage } from "./agent-state.js";

/**
 * Write `data` into the file `path` of `sessionId` at `offset`, in appends of at most
 * {@link MAX_AGENT_STATE_APPEND_BYTES}: `offset` 0 replaces the file (an empty `data` stores an
 * empty file), the stored size appends. An empty `data` at any other offset writes nothing.
 * Returns the bytes written. Each append is atomic, the whole is not: a failure part way leaves
 * the file holding the appends made so far.
 * @throws AgentStateOffsetError when `offset` is neither 0 nor the stored size.
 */
export async function writeAgentStateChunked(storage: AgentStateStorage, sessionId: string, path: string, offset: number, data: Uint8Array): Promise<number> {
  if (data.length === 0 && offset > 0) return 0;
  let from = 0;
  do {
    const chunk = data.subarray(from, from + MAX_AGENT_STATE_APPEND_BYTES);
    await storage.appendAgentState(sessionId, path, offset + from, chunk);
    from += chunk.length;
  } while (from < data.length);
  return data.length;
}
