// One prompt, shown as it happens: the reply streamed from the session's events, then (for the
// scripted agent) its own report of the context it received.
import { performance } from "node:perf_hooks";
import { AGENT_CONTEXT_PREFIX, parseAgentContext, type AgentContextReport } from "../../harness/index.js";
import { isAgentMessageChunk, textOf, type Session, type SessionEvent, type SessionPersistDriver } from "../../src/index.js";
import { ms, type Narrator } from "./narrate.js";

/** What one prompt produced. */
export interface PromptOutcome {
  /** The agent's whole reply text (its message chunks joined). */
  reply: string;
  /** What the scripted agent reported about the prompt it received. */
  report: AgentContextReport;
  /** Every event of the turn, as delivered to the listener. */
  events: SessionEvent[];
}

const MARKER = AGENT_CONTEXT_PREFIX.trimEnd();

/** The text of an `agent_message_chunk` notification, or undefined for any other envelope. */
export function chunkText(event: SessionEvent): string | undefined {
  return isAgentMessageChunk(event) ? textOf(event) : undefined;
}

/** What one streamed turn produced, whatever the agent. */
export interface StreamedTurn {
  /** The agent's whole reply text (its message chunks joined). */
  reply: string;
  /** Every event of the turn, as delivered to the listener. */
  events: SessionEvent[];
}

/**
 * Sends `text`, printing the reply as its chunks arrive, then the turn's figures. `holdBack`:
 * a marker whose line (to the end of the reply) is not printed.
 */
export async function streamTurn(narrator: Narrator, session: Session, text: string, holdBack?: string): Promise<StreamedTurn> {
  narrator.detail(`you>   ${text}`);
  const events: SessionEvent[] = [];
  let reply = "";
  let printed = 0;
  let chunks = 0;
  let firstChunkMs: number | undefined;
  const started = performance.now();
  const stream = narrator.beginStream("agent>");
  // Print what is certainly not part of the held-back line; hold back a possible start of it.
  const flush = (final: boolean) => {
    const cut = holdBack === undefined ? -1 : reply.indexOf(holdBack);
    let safe = cut >= 0 ? cut : final || holdBack === undefined ? reply.length : reply.length - heldBack(reply, holdBack);
    if (final || cut >= 0) safe = reply.slice(0, safe).trimEnd().length;
    if (safe > printed) {
      stream.write(reply.slice(printed, safe));
      printed = safe;
    }
  };
  // A restoration by session/load inside prompt() streams the agent's own history first: count
  // it, but print only the reply.
  let loadId: unknown;
  let historyUpdates = 0;
  const off = session.onEvent((event) => {
    events.push(event);
    const payload = event.payload as { id?: unknown; method?: unknown };
    if (event.sender === "client" && payload.method === "session/load") loadId = payload.id;
    else if (loadId !== undefined && event.sender === "agent" && payload.method === undefined && payload.id === loadId) loadId = undefined;
    if (loadId !== undefined) {
      if (payload.method === "session/update") historyUpdates++;
      return;
    }
    const chunk = chunkText(event);
    if (chunk === undefined) return;
    chunks++;
    firstChunkMs ??= performance.now() - started;
    reply += chunk;
    flush(false);
  });
  try {
    await session.prompt(text);
  } finally {
    off();
    flush(true);
    narrator.endLine();
  }
  const indexes = events.map((event) => event.eventIndex);
  if (historyUpdates > 0) narrator.detail(`(before the reply, session/load streamed the agent's history back: ${historyUpdates} updates, recorded, not shown)`);
  narrator.detail(
    `${chunks} message chunks streamed (first after ${ms(firstChunkMs ?? 0)}); ${events.length} envelopes recorded ` +
      `(eventIndex ${Math.min(...indexes)}..${Math.max(...indexes)}), all stored when prompt() resolved`,
  );
  return { reply, events };
}

/**
 * Sends `text` to the scripted agent, printing the reply as its chunks arrive (its trailing
 * `[agent-context]` line is held back and summarised instead), and the turn's figures.
 */
export async function promptAndShow(narrator: Narrator, session: Session, text: string): Promise<PromptOutcome> {
  const { reply, events } = await streamTurn(narrator, session, text, MARKER);
  const report = parseAgentContext(reply);
  if (!report) throw new Error(`the agent's reply has no ${MARKER} line: ${JSON.stringify(reply)}`);
  return { reply, report, events };
}

/** The agent's report as one line. */
export function describeReport(report: AgentContextReport): string {
  return (
    `turn ${report.turn}, priorTurns ${report.priorTurns}, replay ${report.replay}, replayChars ${report.replayChars}, ` +
    `loaded ${report.loaded} (agent pid ${report.pid})`
  );
}

/** Length of the longest end of `text` that could be the start of `marker`. */
function heldBack(text: string, marker: string): number {
  for (let n = Math.min(marker.length, text.length); n > 0; n--) {
    if (marker.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}

/** Every stored event of a session, read page by page. */
export async function storedEvents(driver: SessionPersistDriver, sessionId: string): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await driver.listEvents({ sessionId, cursor, limit: 500 });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Number of sessions in the store, read page by page. */
export async function countSessions(driver: SessionPersistDriver): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await driver.listSessions({ cursor, limit: 500 });
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}
