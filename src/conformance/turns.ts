import type { SessionEvent } from "../persist/types.js";
import { agentChunkEnvelope, promptEnvelope } from "./fixtures.js";

// Whole ACP turns as recorded events: the shape retention and fork cut at. A turn is the
// client's `session/prompt` request, `chunks` agent `agent_message_chunk` notifications and
// the agent's `end_turn` response.

/** Options of {@link recordedTurns}. */
export interface RecordedTurnsOptions {
  /** The session the events belong to. */
  sessionId: string;
  /** Number of turns. */
  turns: number;
  /** Agent chunks per turn (default 2). */
  chunks?: number;
  /** `eventIndex` of the first event (default 0). */
  firstIndex?: number;
  /** `createdAt` of the first event; each later one is 1 ms later (default 1_700_000_000_000). */
  startAt?: number;
  /** The agent session id in the envelopes (default `"agent-1"`). */
  agentSessionId?: string;
  /** Prefix of the event ids (default `${sessionId}-e`). */
  idPrefix?: string;
}

/** `turns` whole turns; turn `t`'s prompt says `turn t` and its chunks start with `[t.k]`. */
export function recordedTurns(options: RecordedTurnsOptions): SessionEvent[] {
  const { sessionId, turns } = options;
  const chunks = options.chunks ?? 2;
  const agent = options.agentSessionId ?? "agent-1";
  const prefix = options.idPrefix ?? `${sessionId}-e`;
  const start = options.startAt ?? 1_700_000_000_000;
  let index = options.firstIndex ?? 0;
  const events: SessionEvent[] = [];
  const push = (sender: SessionEvent["sender"], payload: SessionEvent["payload"]): void => {
    events.push({ id: `${prefix}${index}`, eventIndex: index, sessionId, createdAt: start + index, connectionId: "conn-1", sender, payload });
    index++;
  };
  for (let t = 0; t < turns; t++) {
    push("client", promptEnvelope(agent, t + 1, `turn ${t}`));
    for (let k = 0; k < chunks; k++) {
      const chunk = agentChunkEnvelope(agent, k);
      const params = (chunk as { params: { update: { content: { text: string } } } }).params;
      params.update.content.text = `[${t}.${k}] ${params.update.content.text}`;
      push("agent", chunk);
    }
    push("agent", { jsonrpc: "2.0", id: t + 1, result: { stopReason: "end_turn" } });
  }
  return events;
}
