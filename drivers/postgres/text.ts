import { PersistValidationError } from "../../src/persist/errors.js";

// PostgreSQL `text` cannot hold U+0000, and pg encodes strings as UTF-8, which silently
// turns an unpaired UTF-16 surrogate into U+FFFD. Either would store something other than
// what was given, so such strings are refused before anything is written. (JSON payloads
// need no check here: the server itself refuses `\u0000` and unpaired surrogates in JSONB,
// and the driver reports that as a validation error too.)
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

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
      issues.push({ path, message: "must not contain U+0000 or an unpaired surrogate (PostgreSQL text cannot store them)" });
    }
  }
  if (issues.length > 0) throw new PersistValidationError(what, issues);
}
