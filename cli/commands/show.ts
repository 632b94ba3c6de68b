import { buildTranscript, type TranscriptEntry } from "../../src/history/transcript.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { agentStateOf, formatBytes, sessionFiles } from "../agent-state.js";
import { withStore, type CommandContext } from "../context.js";
import { notFoundError } from "../errors.js";
import { eventPages } from "../walk.js";

/** Options of `show`. */
export interface ShowOptions {
  /** Include the agent's thoughts. */
  thoughts: boolean;
}

/** `show <store> <id>`: the session's record and its transcript (src/history/transcript.ts), readable. */
export async function showCommand(url: string, id: string, options: ShowOptions, { out }: CommandContext): Promise<void> {
  await withStore(url, "read", async (store) => {
    const record = await store.driver.getSession(id);
    if (!record) throw notFoundError(store.display, id);
    const events: SessionEvent[] = [];
    for await (const page of eventPages(store.driver, id)) events.push(...page);
    const entries = buildTranscript(events, { includeThoughts: options.thoughts });
    const storage = agentStateOf(store.driver);
    const state = storage ? await sessionFiles(storage, id) : undefined;
    const agentState = state ? { files: state.files.length, bytes: state.bytes } : undefined;
    out.result({ session: record, eventCount: events.length, ...(agentState ? { agentState } : {}), transcript: entries });
    out.line(`session ${record.id}  agent ${record.agent}  created ${new Date(record.createdAt).toISOString()}  ${events.length} events`);
    if (record.destroyedAt !== undefined) out.line(`destroyed ${new Date(record.destroyedAt).toISOString()}`);
    if (agentState && agentState.files > 0) out.line(`agent state: ${agentState.files} file(s), ${formatBytes(agentState.bytes)}`);
    out.line();
    if (entries.length === 0) out.line("(no turns recorded)");
    for (const entry of entries) out.line(renderEntry(entry));
  });
}

const indent = (text: string) => text.replaceAll("\n", "\n    ");

/** One transcript entry as text, prefixed with the `eventIndex` it starts at. */
export function renderEntry(entry: TranscriptEntry): string {
  const at = `#${entry.eventIndex}`.padEnd(7);
  const partial = entry.partial ? " (partial)" : "";
  switch (entry.kind) {
    case "user":
      return `${at}user: ${indent(entry.text)}`;
    case "assistant":
      return `${at}agent${partial}: ${indent(entry.text)}`;
    case "thought":
      return `${at}thought${partial}: ${indent(entry.text)}`;
    case "tool_call": {
      const details = [entry.toolKind, entry.status, entry.permission && `permission ${entry.permission}`].filter(Boolean).join(", ");
      return `${at}tool${partial}: ${entry.title || entry.toolCallId}${details ? ` [${details}]` : ""}`;
    }
    case "outcome":
      return `${at}turn ended: ${entry.outcome}${entry.detail ? ` (${entry.detail})` : ""}`;
    case "mode":
      return `${at}mode: ${entry.modeId}`;
    case "fork":
      return `${at}forked from ${entry.parentSessionId} (up to its event #${entry.parentEventIndex})`;
    case "trimmed":
      return `${at}older history trimmed by retention (${entry.removedEvents} event(s) deleted)`;
  }
}
