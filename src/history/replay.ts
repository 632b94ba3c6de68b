/**
 * The replay policy: when a session must be rebound to a fresh agent session that cannot
 * `session/load` it, the client prepends a replay of recent history to the next prompt, as
 * a separate first text content block. This module turns recorded events into that block.
 *
 * ## What the caps count
 * - `maxEvents` (default 50) counts **transcript entries**, not raw envelopes. An entry is
 *   one user message, one assistant message (all streamed chunks of a turn merged), one
 *   tool call (its `tool_call` and every `tool_call_update` merged), one turn outcome
 *   (cancelled, refused, failed, interrupted...) or one mode change. A turn of 500 streamed
 *   chunks and three tool calls uses five entries at most (user, 3 tool calls, assistant).
 *   Protocol noise (`initialize`, `session/new`, `available_commands_update`, ...) uses
 *   none. `0` disables the replay.
 * - `maxChars` (default 12000) bounds the length, in UTF-16 code units (JavaScript string
 *   length), of the **whole block text**: header, explanation line, entries and closing line.
 *   It must be at least {@link MIN_REPLAY_MAX_CHARS}, or `0` to disable the replay.
 * - When a cap bites, the **newest** entries are kept and the oldest dropped; the
 *   explanation line says how many were omitted. The oldest entry that does not fit whole is
 *   cut from the front, keeping its end behind a `[... N earlier characters cut]` marker,
 *   when at least 200 characters of room are left for it, and always when it is the newest
 *   entry (so a single huge answer still replays its conclusion rather than nothing).
 * - The transcript rules (what becomes an entry) are in `transcript.ts`. Agent thoughts are
 *   left out; prompts that never reached the runtime are left out; earlier replay blocks
 *   are skipped, so replays never nest.
 *
 * ## Example
 * ```text
 * [durable-agent replay]
 * Earlier conversation, restored because the previous agent session was lost and could not be reloaded: the last 7 entries, oldest first (12 older entries omitted).
 * User: The login test fails on CI, can you look?
 * Tool call: Read test/login.test.ts [read, completed]
 * Tool call: Run npm test [execute, failed]
 * Assistant: The test expects a 200 but the handler now answers 302.
 *   I can update the assertion or the handler.
 * User: Update the handler.
 * Tool call: Edit src/login.ts [edit, in_progress, permission: allow_once]
 * Turn outcome: interrupted, no answer was received (the agent session was lost)
 * [end of durable-agent replay] The user's new message follows.
 * ```
 * Lines of a multi-line entry after its first are indented by two spaces.
 *
 * ## Reading enough history
 * Use {@link loadReplay} with a function that reads the latest events (`listLatestEventsVia`):
 * it reads progressively larger tails until the caps bite or the history's start is reached.
 * To drive the loop yourself, call {@link buildReplay} and ask {@link replayNeedsMoreHistory}.
 */
import type { ContentBlock } from "@agentclientprotocol/sdk";
import { MAX_TAIL_LIMIT } from "../persist/schemas.js";
import type { SessionEvent } from "../persist/types.js";
import { REPLAY_FOOTER, REPLAY_HEADER } from "../protocol/envelopes.js";
import { isHistoryTrimmedMarker } from "../protocol/lifecycle-markers.js";
import { HistoryInputError } from "./errors.js";
import { buildTranscript, type TranscriptEntry } from "./transcript.js";

export { REPLAY_HEADER } from "../protocol/envelopes.js";

/** Reference default of {@link ReplayCaps.maxEvents}. */
export const DEFAULT_REPLAY_MAX_EVENTS = 50;
/** Reference default of {@link ReplayCaps.maxChars}. */
export const DEFAULT_REPLAY_MAX_CHARS = 12_000;
/** The smallest non-zero {@link ReplayCaps.maxChars}: room for the framing lines and some text. */
export const MIN_REPLAY_MAX_CHARS = 1_000;

/** The replay's size limits (see the module comment for exactly what each counts). */
export interface ReplayCaps {
  /** Most transcript entries replayed; `0` disables the replay. */
  maxEvents: number;
  /** Most characters in the whole replay text, header included; `0` disables the replay. */
  maxChars: number;
}

/** A replay block, ready to be sent as the first content block of a prompt. */
export interface Replay {
  /** The whole block text, starting with {@link REPLAY_HEADER}; at most `maxChars` long. */
  text: string;
  /** The entries replayed, oldest first (the first may appear cut, see `truncated`). */
  entries: TranscriptEntry[];
  /** Older entries of the events read that the caps dropped. */
  omittedEntries: number;
  /** The oldest replayed entry was cut from the front to fit `maxChars`. */
  truncated: boolean;
  /** The events read started at `eventIndex` 0, so no older history exists. */
  startsAtBeginning: boolean;
  /**
   * A cap bit: entries were omitted, an entry was cut, or every `maxEvents` slot is used.
   * Older events could then only add entries that would be dropped.
   */
  capped: boolean;
}

/** Fill in defaults and check caps. @throws {HistoryInputError} for unusable values. */
export function resolveReplayCaps(caps: Partial<ReplayCaps> = {}): ReplayCaps {
  const maxEvents = caps.maxEvents ?? DEFAULT_REPLAY_MAX_EVENTS;
  const maxChars = caps.maxChars ?? DEFAULT_REPLAY_MAX_CHARS;
  if (!Number.isSafeInteger(maxEvents) || maxEvents < 0) {
    throw new HistoryInputError(`replay maxEvents must be a non-negative integer, got ${String(maxEvents)}`);
  }
  if (!Number.isSafeInteger(maxChars) || maxChars < 0 || (maxChars > 0 && maxChars < MIN_REPLAY_MAX_CHARS)) {
    throw new HistoryInputError(
      `replay maxChars must be 0 (no replay) or an integer of at least ${MIN_REPLAY_MAX_CHARS}, got ${String(maxChars)}`,
    );
  }
  return { maxEvents, maxChars };
}

// ---------------------------------------------------------------------------------------
// Formatting.

const CLOSING_LINE = `${REPLAY_FOOTER} The user's new message follows.`;
/** Room needed before cutting an older entry is worth it rather than stopping. */
const MIN_CUT_ROOM = 200;

const OUTCOME_TEXT: Record<string, string> = {
  cancelled: "cancelled by the user",
  refusal: "the agent refused to continue",
  max_tokens: "stopped at the agent's token limit",
  max_turn_requests: "stopped at the agent's request limit",
  interrupted: "interrupted, no answer was received (the agent session was lost)",
};

function explanationLine(kept: number, omitted: number, startsAtBeginning: boolean): string {
  const what = omitted === 0 && startsAtBeginning ? `all ${kept} entries` : `the last ${kept} entries`;
  const tail = omitted > 0 ? ` (${omitted} older entries omitted)` : startsAtBeginning ? "" : " (older entries omitted)";
  return `Earlier conversation, restored because the previous agent session was lost and could not be reloaded: ${what}, oldest first${tail}.`;
}

/** An entry as a label and a body (continuation lines indented). */
function render(entry: TranscriptEntry): { label: string; body: string } {
  let label: string;
  let body: string;
  switch (entry.kind) {
    case "user":
      [label, body] = ["User: ", entry.text];
      break;
    case "assistant":
      [label, body] = ["Assistant: ", entry.text];
      break;
    case "thought":
      [label, body] = ["Assistant (thinking): ", entry.text];
      break;
    case "tool_call": {
      const facts = [entry.toolKind, entry.status, entry.permission && `permission: ${entry.permission}`].filter(Boolean);
      label = "Tool call: ";
      body = (entry.title || "(untitled)") + (facts.length > 0 ? ` [${facts.join(", ")}]` : "");
      break;
    }
    case "outcome":
      label = "Turn outcome: ";
      body =
        entry.outcome === "error"
          ? `failed with an error${entry.detail ? `: ${entry.detail}` : ""}`
          : entry.outcome === "incomplete"
            ? `incomplete: ${entry.detail ?? "part of it was lost in transit"}`
            : (OUTCOME_TEXT[entry.outcome] ?? entry.outcome);
      break;
    case "mode":
      [label, body] = ["Mode: ", `switched to "${entry.modeId}"`];
      break;
    case "fork":
      [label, body] = ["Forked: ", `from session "${entry.parentSessionId}" at its event ${entry.parentEventIndex}`];
      break;
    case "trimmed":
      [label, body] = ["Trimmed: ", `${entry.removedEvents} older events deleted by retention`];
      break;
  }
  if (entry.partial) body = `[... beginning not available] ${body}`;
  return { label, body: body.includes("\n") ? body.replace(/\n/g, "\n  ") : body };
}

/** The entry's line cut to at most `room` characters, keeping the end; `undefined` if none fits. */
function cutLine(label: string, body: string, room: number): string | undefined {
  // The marker's length depends on the count it shows: shrink until it fits.
  let keep = room - label.length - `[... ${body.length} earlier characters cut] `.length;
  if (keep <= 0) return undefined;
  let start = body.length - keep;
  // Never split a surrogate pair.
  const code = body.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) {
    start += 1;
    keep -= 1;
  }
  return `${label}[... ${start} earlier characters cut] ${body.slice(start)}`;
}

/**
 * Build the replay block for `events` (ascending `eventIndex`, a tail of the session's
 * history that may start anywhere) within `caps` (defaults: 50 entries, 12000 chars).
 * Returns `null` when there is nothing worth replaying (no entries, or a cap of 0).
 *
 * @throws {HistoryInputError} for unusable caps or events out of order.
 */
export function buildReplay(events: readonly SessionEvent[], caps: Partial<ReplayCaps> = {}): Replay | null {
  const { maxEvents, maxChars } = resolveReplayCaps(caps);
  if (maxEvents === 0 || maxChars === 0) return null;
  // Lifecycle markers (fork, trim) are facts about the record, not conversation: left out.
  const all = buildTranscript(events).filter((entry) => entry.kind !== "fork" && entry.kind !== "trimmed");
  if (all.length === 0) return null;
  const startsAtBeginning = events.length === 0 || events[0]?.eventIndex === 0;

  // Framing cost, bounded with the widest numbers the explanation line can show.
  const n = all.length;
  const explanationBound = Math.max(explanationLine(n, n, false).length, explanationLine(n, 0, true).length);
  const budget = maxChars - REPLAY_HEADER.length - explanationBound - CLOSING_LINE.length - 2;

  // Newest first: take whole entries while they fit, then maybe a cut one, then stop.
  const lines: string[] = [];
  let used = 0;
  let truncated = false;
  for (let i = n - 1; i >= 0 && lines.length < maxEvents; i--) {
    const { label, body } = render(all[i] as TranscriptEntry);
    const cost = label.length + body.length + 1;
    if (used + cost <= budget) {
      lines.push(label + body);
      used += cost;
      continue;
    }
    const room = budget - used - 1;
    if (lines.length === 0 || room >= MIN_CUT_ROOM) {
      const line = cutLine(label, body, room);
      if (line !== undefined) {
        lines.push(line);
        truncated = true;
      }
    }
    break;
  }
  if (lines.length === 0) return null;

  lines.reverse();
  const kept = all.slice(n - lines.length);
  const omittedEntries = n - lines.length;
  const text = [REPLAY_HEADER, explanationLine(lines.length, omittedEntries, startsAtBeginning), ...lines, CLOSING_LINE].join("\n");
  return {
    text,
    entries: kept,
    omittedEntries,
    truncated,
    startsAtBeginning,
    capped: omittedEntries > 0 || truncated || lines.length >= maxEvents,
  };
}

/**
 * Whether reading older events could change the replay built from `events`: true unless the
 * history's start was read (index 0, or a retention trim's marker), or the store had fewer events than `requested` (the size of
 * the tail asked for), or a cap already bites with every kept entry complete.
 */
export function replayNeedsMoreHistory(
  events: readonly SessionEvent[],
  replay: Replay | null,
  requested?: number,
): boolean {
  const first = events[0];
  // The history's start: index 0, or the marker a retention trim left at its cut.
  if (!first || first.eventIndex === 0 || isHistoryTrimmedMarker(first.payload)) return false;
  if (requested !== undefined && events.length < Math.min(requested, MAX_TAIL_LIMIT)) return false;
  if (!replay) return true;
  return !replay.capped || replay.entries[0]?.partial === true;
}

/** The first tail {@link loadReplay} reads; it grows fourfold up to `MAX_TAIL_LIMIT`. */
export const INITIAL_REPLAY_TAIL = 1_000;

/**
 * Build the replay from the newest history, reading only as much as the caps need.
 * `readLatest(limit)` returns the session's last `limit` events, ascending (e.g.
 * `(limit) => listLatestEventsVia(driver, sessionId, limit)`). Tails of 1000, 4000 and
 * then `MAX_TAIL_LIMIT` events are read until {@link replayNeedsMoreHistory} says no.
 */
export async function loadReplay(
  readLatest: (limit: number) => Promise<SessionEvent[]>,
  caps: Partial<ReplayCaps> = {},
): Promise<Replay | null> {
  const resolved = resolveReplayCaps(caps);
  if (resolved.maxEvents === 0 || resolved.maxChars === 0) return null;
  for (let limit = INITIAL_REPLAY_TAIL; ; limit = Math.min(limit * 4, MAX_TAIL_LIMIT)) {
    const events = await readLatest(limit);
    const replay = buildReplay(events, resolved);
    if (limit >= MAX_TAIL_LIMIT || !replayNeedsMoreHistory(events, replay, limit)) return replay;
  }
}

/** `prompt` with the replay's block in front, or `prompt` itself when there is no replay. */
export function withReplay(prompt: readonly ContentBlock[], replay: Replay | null): ContentBlock[] {
  return replay ? [{ type: "text", text: replay.text }, ...prompt] : [...prompt];
}
