import { IndexedDbUnavailableError } from "./errors.js";

// Keys and key ranges. IndexedDB orders strings by UTF-16 code unit, but listings promise
// code-point order (the byte order of UTF-8, what the SQL drivers use): the two disagree
// when one id has a character in U+E000..U+FFFF where another has an astral character
// (a surrogate pair). So the listing index does not use the id string itself but
// `orderKey(id)`, a binary key whose byte order is the code-point order of the id.

/**
 * The id as a binary key: each UTF-16 code unit as two big-endian bytes, with surrogates
 * lifted above the rest of the BMP, exactly as `compareCodePoints` does. Byte-wise
 * comparison of two such keys (what IndexedDB does for binary keys, shorter prefix first)
 * then equals `compareCodePoints` of the ids, lone surrogates included. A constant first
 * byte keeps the key non-empty (an empty buffer is refused as "detached" by some
 * implementations) without changing the order.
 */
export function orderKey(id: string): ArrayBuffer {
  const buffer = new ArrayBuffer(1 + id.length * 2);
  const view = new DataView(buffer);
  view.setUint8(0, 1);
  for (let i = 0; i < id.length; i++) {
    const unit = id.charCodeAt(i);
    const lifted = unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit;
    view.setUint16(1 + i * 2, lifted);
  }
  return buffer;
}

function keyRange(): typeof IDBKeyRange {
  const ctor = (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
  if (!ctor) throw new IndexedDbUnavailableError("IDBKeyRange");
  return ctor;
}

/** All events of `sessionId` with `eventIndex >= from`, on the events primary key. */
export function eventsFrom(sessionId: string, from: number): IDBKeyRange {
  return keyRange().bound([sessionId, from], [sessionId, Infinity]);
}

/** Events of `sessionId` with `from <= eventIndex <= to`. */
export function eventsBetween(sessionId: string, from: number, to: number): IDBKeyRange {
  return keyRange().bound([sessionId, from], [sessionId, to]);
}

/** Every event of `sessionId` (any eventIndex). */
export function allEventsOf(sessionId: string): IDBKeyRange {
  return keyRange().bound([sessionId, -Infinity], [sessionId, Infinity]);
}

/** Sessions strictly after `(createdAt, id)` in listing order, on the `byOrder` index. */
export function sessionsAfter(createdAt: number, id: string): IDBKeyRange {
  return keyRange().lowerBound([createdAt, orderKey(id)], true);
}
