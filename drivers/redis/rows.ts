import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";

// How records and events are written into Redis values, and read back as fresh objects.
// Records are stored as `<createdAt key><JSON>`, so that the script that replaces or deletes
// a record finds its old listing entry without parsing JSON. Events are stored as JSON
// with a fixed field order (eventJson in ../shared/event-json.ts).

/** Length of {@link createdAtKey}'s result. */
export const CREATED_AT_KEY_LENGTH = 16;

const bits = new DataView(new ArrayBuffer(8));

/**
 * A `createdAt` (finite, non-negative) as 16 hex digits of its IEEE-754 bits, big-endian:
 * for non-negative numbers the bytes sort like the numbers, so a lex range over
 * `<key><id>` lists sessions by `(createdAt, id)`, ids in UTF-8 byte (code point) order.
 */
export function createdAtKey(createdAt: number): string {
  bits.setFloat64(0, createdAt === 0 ? 0 : createdAt); // -0 sorts as 0
  return bits.getUint32(0).toString(16).padStart(8, "0") + bits.getUint32(4).toString(16).padStart(8, "0");
}

/** The listing-index member of a record: `<createdAt key><id>`. */
export function orderMember(createdAt: number, id: string): string {
  return createdAtKey(createdAt) + id;
}

/** The stored form of a (validated) record: `<createdAt key><JSON>`. */
export function recordValue(record: SessionRecord): string {
  return createdAtKey(record.createdAt) + JSON.stringify(record);
}

/** A fresh record from its stored form. */
export function valueToRecord(value: string): SessionRecord {
  return JSON.parse(value.slice(CREATED_AT_KEY_LENGTH)) as SessionRecord;
}

/** A fresh event from its stored form. */
export function valueToEvent(value: string): SessionEvent {
  return JSON.parse(value) as SessionEvent;
}
