import { randomUUID } from "node:crypto";
import type { SessionEvent, SessionRecord } from "../src/persist/types.js";

// The data the workloads write: a typical event is an ACP `session/update` notification
// carrying an `agent_message_chunk` of about 250 characters of text, as an agent streams it.

const WORDS = [
  "the", "session", "agent", "runtime", "restore", "context", "prompt", "token", "stream", "chunk",
  "file", "diff", "apply", "test", "passes", "build", "error", "retry", "cursor", "page",
  "event", "index", "driver", "store", "commit", "write", "read", "tail", "replay", "durable",
];

/** Deterministic text of exactly `length` characters (word salad, varied by `seed`). */
function textOf(seed: number, length: number): string {
  let out = "";
  let x = (seed * 2654435761) >>> 0;
  while (out.length < length) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += (out ? " " : "") + WORDS[x % WORDS.length];
  }
  return out.slice(0, length);
}

// A small pool of texts, so building 100,000 events costs little and payloads still differ.
const TEXTS = Array.from({ length: 64 }, (_, i) => textOf(i + 1, 250));

/** Length of the text carried by every fixture event. */
export const EVENT_TEXT_CHARS = 250;

/** Id of the nth benchmark session (fixed width, so ids sort like their numbers). */
export function sessionIdOf(n: number): string {
  return `bench-session-${String(n).padStart(6, "0")}`;
}

/** One typical event: the agent's `session/update` with an `agent_message_chunk`. */
export function makeEvent(sessionId: string, eventIndex: number, createdAt = 1_750_000_000_000 + eventIndex): SessionEvent {
  return {
    id: randomUUID(),
    eventIndex,
    sessionId,
    createdAt,
    connectionId: "bench-connection-1",
    sender: "agent",
    payload: {
      jsonrpc: "2.0",
      method: "session/update",
      params: {
        sessionId: `agent-${sessionId}`,
        update: {
          sessionUpdate: "agent_message_chunk",
          content: { type: "text", text: TEXTS[eventIndex % TEXTS.length] as string },
        },
      },
    },
  };
}

/** `count` consecutive events of one session, starting at `from`. */
export function makeEvents(sessionId: string, count: number, from = 0): SessionEvent[] {
  const events = new Array<SessionEvent>(count);
  for (let i = 0; i < count; i++) events[i] = makeEvent(sessionId, from + i);
  return events;
}

/** A session record like the client writes after `session/new`. */
export function makeRecord(n: number): SessionRecord {
  const id = sessionIdOf(n);
  return {
    id,
    agent: "mock",
    agentSessionId: `agent-${id}`,
    lastConnectionId: "bench-connection-1",
    createdAt: 1_750_000_000_000 + n,
    sandboxId: "bench-sandbox",
    sessionInit: { cwd: "/workspace/project", mcpServers: [] },
    configOptions: [],
    modes: null,
  };
}
