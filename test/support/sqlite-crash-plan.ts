import type { SessionEvent } from "../../src/persist/types.js";

// The deterministic write plan shared by the SQLite crash test and its child writer, so the
// test can rebuild every event the child wrote and compare it field by field.

/** Session the crash writer fills. */
export const CRASH_SESSION_ID = "crash-session";

/** The event at `eventIndex`: sizes vary from a few bytes to several pages (overflow pages). */
export function crashEvent(eventIndex: number): SessionEvent {
  const size = 20 + ((eventIndex * 7919) % 12_000);
  return {
    id: `crash-evt-${eventIndex}`,
    eventIndex,
    sessionId: CRASH_SESSION_ID,
    createdAt: 1_700_000_000_000 + eventIndex,
    connectionId: `conn-${eventIndex % 3}`,
    sender: eventIndex % 2 === 0 ? "client" : "agent",
    payload: {
      jsonrpc: "2.0",
      method: "session/update",
      params: {
        sessionId: "agent-session",
        update: {
          sessionUpdate: "agent_message_chunk",
          content: { type: "text", text: `#${eventIndex} ${"é∑🙂abc".repeat(Math.ceil(size / 8)).slice(0, size)}` },
        },
      },
    },
  };
}

/**
 * The groups of event indexes in write order: mostly single inserts, every seventh group a
 * batch of five (one `insertEvents` transaction), endlessly.
 */
export function* crashPlan(): Generator<number[]> {
  let next = 0;
  for (let group = 0; ; group++) {
    const size = group % 7 === 3 ? 5 : 1;
    yield Array.from({ length: size }, (_, k) => next + k);
    next += size;
  }
}
