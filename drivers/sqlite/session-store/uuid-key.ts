// How the SQLite store keys an entry's uuid. Claude Code's uuids are random, so every
// append writes into random pages of the uuid index; the smaller its keys, the fewer pages an
// append dirties. A uuid in the canonical lowercase form (8-4-4-4-12 hex digits) is stored as
// its 16 bytes; any other uuid as its text. A BLOB never equals a TEXT in SQLite, so two
// different uuids can never share a key.

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The uuid column's value for `uuid`: 16 bytes for a canonical lowercase uuid, the text otherwise; null for none. */
export function uuidKey(uuid: string | null): Buffer | string | null {
  if (uuid === null || uuid.length !== 36 || !CANONICAL.test(uuid)) return uuid;
  return Buffer.from(uuid.replace(/-/g, ""), "hex");
}
