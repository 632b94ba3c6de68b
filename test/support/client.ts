import type { PromptResponse } from "@agentclientprotocol/sdk";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAgentContext, type AgentContextReport } from "../../harness/index.js";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { InMemorySessionPersistDriver, type Session, type SessionEvent, type SessionPersistDriver } from "../../src/index.js";

/** A store the e2e suites run on, with its cleanup. */
export interface TestStore {
  driver: SessionPersistDriver;
  cleanup(): void;
}

/** The drivers the client e2e suites run against. */
export const STORES: Record<string, () => TestStore> = {
  memory: () => ({ driver: new InMemorySessionPersistDriver({ maxEventsPerSession: 100_000 }), cleanup: () => undefined }),
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-e2e-"));
    const driver = new SQLiteSessionPersistDriver({ filename: join(dir, "sessions.db") });
    return {
      driver,
      cleanup: () => {
        void driver.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** The text of the agent's message chunks in `events`. */
export function replyText(events: readonly SessionEvent[]): string {
  let text = "";
  for (const event of events) {
    const update = (event.payload as { params?: { update?: { sessionUpdate?: string; content?: { text?: string } } } }).params?.update;
    if (update?.sessionUpdate === "agent_message_chunk" && typeof update.content?.text === "string") text += update.content.text;
  }
  return text;
}

/**
 * The first prompt block's text of the last `session/prompt` the client sent in `events`.
 * The last, not the first: after a runtime restart the client may send a prompt on the old
 * connection before it has seen that connection die; that attempt is recorded too, and the
 * prompt is resent (with the replay) on the restored connection.
 */
export function sentPromptText(events: readonly SessionEvent[]): string {
  const sent = events.findLast((e) => e.sender === "client" && "method" in e.payload && e.payload.method === "session/prompt");
  if (!sent) throw new Error("no session/prompt among the events");
  return (sent.payload as { params?: { prompt?: { text?: string }[] } }).params?.prompt?.[0]?.text ?? "";
}

/** Send `text` and return what the scripted agent reported about the context it received. */
export async function promptReport(
  session: Session,
  text: string,
): Promise<{ report: AgentContextReport; reply: string; events: SessionEvent[]; response: PromptResponse }> {
  const events: SessionEvent[] = [];
  const off = session.onEvent((event) => events.push(event));
  let response: PromptResponse;
  try {
    response = await session.prompt(text);
  } finally {
    off();
  }
  const reply = replyText(events);
  const report = parseAgentContext(reply);
  if (!report) throw new Error(`no [agent-context] line in reply: ${reply}`);
  return { report, reply, events, response };
}

/** Every stored event of a session, paging through the store. */
export async function allEvents(driver: SessionPersistDriver, sessionId: string): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await driver.listEvents({ sessionId, cursor, limit: 1000 });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Assert-friendly check: indexes are 0..n-1 in order. */
export function isGapFree(events: readonly SessionEvent[]): boolean {
  return events.every((event, i) => event.eventIndex === i);
}

/**
 * Client requests in `events` that have no response recorded after them (neither the
 * agent's nor a failure response the client records when a connection ends): a request
 * the history leaves hanging, which must never happen.
 */
export function unansweredRequests(events: readonly SessionEvent[]): { eventIndex: number; method: string }[] {
  const open = new Map<string, { eventIndex: number; method: string }>();
  for (const event of events) {
    const p = event.payload as { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
    if (p.id === undefined || p.id === null) continue;
    if (event.sender === "client" && typeof p.method === "string") open.set(`${event.connectionId}/${String(p.id)}`, { eventIndex: event.eventIndex, method: p.method });
    else if (!("method" in p) && ("result" in p || "error" in p)) open.delete(`${event.connectionId}/${String(p.id)}`);
  }
  return [...open.values()];
}
