import type { SessionEvent } from "../../src/persist/types.js";
import { eventJson } from "../shared/event-json.js";

// The lines of a session's events.jsonl. Each line is one event's JSON. The events of one
// write (a batch) are one group: every line but the last carries `"more": n`, the number of
// lines of the group after it. A group cut short by a crash is recognisable, and dropped
// whole: a batch is all or nothing, in the file as in the driver.

/** A line found by {@link scanLines}. */
export interface ScannedLine {
  /** Its event's id. */
  id: string;
  /** Its event's session. */
  sessionId: string;
  /** Its event's index. */
  eventIndex: number;
  /** Byte offset in the scanned buffer. */
  offset: number;
  /** Byte length, without the newline. */
  length: number;
}

/**
 * The lines of one write of (validated) events, without newlines.
 * @throws PersistValidationError when a payload cannot be serialized.
 */
export function eventLines(events: readonly SessionEvent[]): Buffer[] {
  const single = events.length === 1;
  return events.map((event, i) => {
    const json = eventJson(event, single ? "event" : `events[${i}]`);
    const more = events.length - 1 - i;
    return Buffer.from(more === 0 ? json : `${json.slice(0, -1)},"more":${more}}`, "utf8");
  });
}

/** A fresh event from its line (without the group marker). */
export function parseLine(line: Buffer): SessionEvent {
  const event = JSON.parse(line.toString("utf8")) as SessionEvent & { more?: number };
  delete event.more;
  return event;
}

/**
 * The whole groups of lines at the start of `buffer`, and where they end (after the last
 * newline of the last whole group). A torn line, a line that is not an event, or a group
 * without its last line ends the scan: what follows is what a crash left behind.
 */
export function scanLines(buffer: Buffer): { lines: ScannedLine[]; end: number } {
  const lines: ScannedLine[] = [];
  let end = 0;
  let group: ScannedLine[] = [];
  /** The `more` the next line of the open group must carry; undefined at a group's start. */
  let expected: number | undefined;
  let offset = 0;
  while (offset < buffer.length) {
    const newline = buffer.indexOf(10, offset);
    if (newline === -1) break;
    let parsed: { id?: unknown; sessionId?: unknown; eventIndex?: unknown; more?: unknown };
    try {
      parsed = JSON.parse(buffer.toString("utf8", offset, newline)) as typeof parsed;
    } catch {
      break;
    }
    if (typeof parsed.id !== "string" || typeof parsed.sessionId !== "string" || typeof parsed.eventIndex !== "number") break;
    const more = typeof parsed.more === "number" ? parsed.more : 0;
    if (expected !== undefined && more !== expected) break;
    group.push({ id: parsed.id, sessionId: parsed.sessionId, eventIndex: parsed.eventIndex, offset, length: newline - offset });
    offset = newline + 1;
    if (more === 0) {
      lines.push(...group);
      group = [];
      expected = undefined;
      end = offset;
    } else {
      expected = more - 1;
    }
  }
  return { lines, end };
}
