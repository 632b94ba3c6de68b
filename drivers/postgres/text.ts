import { PersistValidationError } from "../../src/persist/errors.js";

// PostgreSQL `text` cannot hold U+0000: such strings are refused before anything is written.
// (Unpaired UTF-16 surrogates, which pg would turn into U+FFFD, are refused for every driver by
// the shared validators. JSON payloads need no check here: the server itself refuses `\u0000`
// in JSONB, and the driver reports that as a validation error too.)
const UNSTORABLE = /\u0000/;

/** Whether PostgreSQL `text` can store `value` exactly. */
function storable(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/**
 * Check that every named string field can be stored as PostgreSQL `text` exactly.
 * @throws PersistValidationError naming each field that cannot.
 */
export function assertStorableText(what: string, fields: Record<string, string | undefined>): void {
  const issues = [];
  for (const [path, value] of Object.entries(fields)) {
    if (value !== undefined && !storable(value)) {
      issues.push({ path, message: "must not contain U+0000 (PostgreSQL text cannot store it)" });
    }
  }
  if (issues.length > 0) throw new PersistValidationError(what, issues);
}
