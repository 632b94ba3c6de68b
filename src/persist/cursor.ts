import { InvalidCursorError } from "./errors.js";

// Opaque keyset cursors. A cursor names the last key a page returned, never an offset, so
// a page costs the same wherever it is and appends made while paging neither skip nor
// repeat anything. Cursors are versioned and scoped: an events cursor carries its session
// id, so handing it to another session's listing is refused instead of silently misread.

/** Position after the last event of a page: the session and its last `eventIndex`. */
export interface EventCursor {
  /** Session the cursor belongs to. */
  sessionId: string;
  /** The `eventIndex` of the last event already returned. */
  afterIndex: number;
}

/** Position after the last record of a `listSessions` page, in `(createdAt, id)` order. */
export interface SessionCursor {
  /** `createdAt` of the last record already returned. */
  afterCreatedAt: number;
  /** `id` of the last record already returned. */
  afterId: string;
}

const VERSION = 1;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(cursor: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError(cursor, "not a cursor issued by this listing");
  const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

function decode(cursor: string, kind: "e" | "s"): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(cursor));
  } catch (error) {
    if (error instanceof InvalidCursorError) throw error;
    throw new InvalidCursorError(cursor, "not a cursor issued by this listing");
  }
  if (!Array.isArray(parsed) || parsed[0] !== VERSION) {
    throw new InvalidCursorError(cursor, "not a cursor issued by this listing");
  }
  if (parsed[1] !== kind) {
    throw new InvalidCursorError(
      cursor,
      kind === "e" ? "a sessions cursor cannot page events" : "an events cursor cannot page sessions",
    );
  }
  return parsed.slice(2);
}

/** Encode the position after `afterIndex` in `sessionId`'s events. */
export function encodeEventCursor(cursor: EventCursor): string {
  return toBase64Url(JSON.stringify([VERSION, "e", cursor.sessionId, cursor.afterIndex]));
}

/**
 * Decode an events cursor and check it belongs to `sessionId`.
 * @throws InvalidCursorError when malformed, of the wrong kind, or from another session.
 */
export function decodeEventCursor(cursor: string, sessionId: string): EventCursor {
  const [cursorSession, afterIndex] = decode(cursor, "e");
  if (typeof cursorSession !== "string" || !Number.isSafeInteger(afterIndex) || (afterIndex as number) < -1) {
    throw new InvalidCursorError(cursor, "not a cursor issued by this listing");
  }
  if (cursorSession !== sessionId) {
    throw new InvalidCursorError(cursor, `it pages session "${cursorSession}", not "${sessionId}"`);
  }
  return { sessionId, afterIndex: afterIndex as number };
}

/** Encode the position after the record `(afterCreatedAt, afterId)`. */
export function encodeSessionCursor(cursor: SessionCursor): string {
  return toBase64Url(JSON.stringify([VERSION, "s", cursor.afterCreatedAt, cursor.afterId]));
}

/**
 * Decode a `listSessions` cursor.
 * @throws InvalidCursorError when malformed or of the wrong kind.
 */
export function decodeSessionCursor(cursor: string): SessionCursor {
  const [afterCreatedAt, afterId] = decode(cursor, "s");
  if (typeof afterCreatedAt !== "number" || !Number.isFinite(afterCreatedAt) || typeof afterId !== "string") {
    throw new InvalidCursorError(cursor, "not a cursor issued by this listing");
  }
  return { afterCreatedAt, afterId };
}

/**
 * Compare two strings by Unicode code point, which is also the byte order of their UTF-8
 * encodings: the order SQLite's BINARY and PostgreSQL's "C" collations use. (JavaScript's
 * `<` compares UTF-16 code units, which puts U+E000..U+FFFF after astral characters.)
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Lift surrogates above the rest of the BMP so that code-unit order becomes code-point order.
    x += x >= 0xd800 && x <= 0xdfff ? 0x2000 : x >= 0xe000 ? -0x800 : 0;
    y += y >= 0xd800 && y <= 0xdfff ? 0x2000 : y >= 0xe000 ? -0x800 : 0;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Order of session records in listings: ascending `createdAt`, then `id` by code point. */
export function compareSessionKeys(
  a: { createdAt: number; id: string },
  b: { createdAt: number; id: string },
): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return compareCodePoints(a.id, b.id);
}
