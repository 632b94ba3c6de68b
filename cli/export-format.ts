import { createHash } from "node:crypto";
import { compareCodePoints } from "../src/persist/cursor.js";
import type { SessionEvent, SessionRecord } from "../src/persist/types.js";

// The JSONL export format (docs/cli.md): a header line, then per session its record line
// followed by its event lines in `eventIndex` order, then its agent state files (version 2),
// each in one or more lines of at most 1 MiB of base64 data. Every line is canonical JSON: fixed
// field order at the top, object keys sorted by code point inside payloads and records.
// Stores differ in the key order they give back (PostgreSQL's jsonb sorts keys its own
// way), so canonical text is what makes an export of the same data the same bytes whatever
// the store, and what the migration checksums are computed over.

/** The first line of every export. Version 2 added the agent state lines; version 1 files have none. */
export const EXPORT_HEADER = { format: "durable-agent-export", version: 2 } as const;

/** The format versions this release reads. */
export const READABLE_EXPORT_VERSIONS: readonly number[] = [1, 2];

/** The most bytes of an agent state file one export line carries (a larger file takes several lines). */
export const AGENT_STATE_LINE_BYTES = 1024 * 1024;

/** A piece of an agent state file as one export line holds it. */
export interface AgentStatePiece {
  /** The session the file belongs to. */
  sessionId: string;
  /** The file's key. */
  path: string;
  /** Where in the file the piece starts. */
  offset: number;
  /** The whole file's size in bytes (the same on each of its lines). */
  size: number;
  /** The piece's bytes. */
  data: Uint8Array;
}

/** One line of an export after the header. */
export type ExportLine =
  | { type: "session"; record: SessionRecord }
  | { type: "event"; event: SessionEvent }
  | { type: "agent-state"; sessionId: string; path: string; offset: number; size: number; data: string };

/** `value` as JSON text with every object's keys in code-point order (arrays keep theirs). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source).sort(compareCodePoints)) {
    if (source[key] !== undefined) out[key] = sortKeys(source[key]);
  }
  return out;
}

const RECORD_FIELDS: readonly (keyof SessionRecord)[] = [
  "id",
  "agent",
  "agentSessionId",
  "lastConnectionId",
  "createdAt",
  "destroyedAt",
  "sandboxId",
  "sessionInit",
  "configOptions",
  "modes",
];

/** The record's fields in their fixed order, absent ones left out, nested keys sorted. */
function canonicalRecord(record: SessionRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) {
    if (record[field] !== undefined) out[field] = sortKeys(record[field]);
  }
  return out;
}

/** The event's fields in their fixed order, payload keys sorted. */
function canonicalEvent(event: SessionEvent): Record<string, unknown> {
  return {
    id: event.id,
    eventIndex: event.eventIndex,
    sessionId: event.sessionId,
    createdAt: event.createdAt,
    connectionId: event.connectionId,
    sender: event.sender,
    payload: sortKeys(event.payload),
  };
}

/** The export line of a session record (no newline). */
export function sessionLine(record: SessionRecord): string {
  return JSON.stringify({ type: "session", record: canonicalRecord(record) });
}

/** The export line of an event (no newline). */
export function eventLine(event: SessionEvent): string {
  return JSON.stringify({ type: "event", event: canonicalEvent(event) });
}

/**
 * The export lines of one agent state file (no newlines): pieces of at most
 * {@link AGENT_STATE_LINE_BYTES} in order, one line for an empty file. Fields in a fixed order,
 * the bytes in standard base64 with padding.
 */
export function agentStateLines(sessionId: string, path: string, data: Uint8Array): string[] {
  const lines: string[] = [];
  let offset = 0;
  do {
    const piece = data.subarray(offset, offset + AGENT_STATE_LINE_BYTES);
    const base64 = Buffer.from(piece.buffer, piece.byteOffset, piece.length).toString("base64");
    lines.push(JSON.stringify({ type: "agent-state", sessionId, path, offset, size: data.length, data: base64 }));
    offset += piece.length;
  } while (offset < data.length);
  return lines;
}

/** The canonical text of a record alone, for comparisons. */
export function recordText(record: SessionRecord): string {
  return JSON.stringify(canonicalRecord(record));
}

/** The canonical text of an event alone, for comparisons and checksums. */
export function eventText(event: SessionEvent): string {
  return JSON.stringify(canonicalEvent(event));
}

/** A running checksum of one session's events: count and SHA-256 over their canonical text, in order. */
export class SessionChecksum {
  #hash = createHash("sha256");
  #count = 0;
  #digest: string | undefined;

  /** Fold in the next events (not after {@link SessionChecksum.digest}). */
  add(events: readonly SessionEvent[]): void {
    if (this.#digest !== undefined) throw new Error("SessionChecksum: add() after digest()");
    for (const event of events) {
      this.#hash.update(eventText(event));
      this.#hash.update("\n");
      this.#count += 1;
    }
  }

  /** The count and the hex digest (ends the hash; later calls give the same). */
  digest(): { count: number; sha256: string } {
    this.#digest ??= this.#hash.digest("hex");
    return { count: this.#count, sha256: this.#digest };
  }
}
