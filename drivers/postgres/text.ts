import type { ValidationIssue } from "../../src/persist/errors.js";

// PostgreSQL `text` cannot hold U+0000: such strings are refused before anything is written.
// (Unpaired UTF-16 surrogates, which pg would turn into U+FFFD, are refused for every driver by
// the shared validators. JSON payloads need no check here: the server itself refuses `\u0000`
// in JSONB, and the driver reports that as a validation error too.)
const UNSTORABLE = /\u0000/;

/**
 * The problems of the named string fields PostgreSQL `text` cannot store exactly, or
 * `undefined` when there are none.
 */
export function unstorableText(fields: Record<string, string | undefined>): ValidationIssue[] | undefined {
  let issues: ValidationIssue[] | undefined;
  for (const [path, value] of Object.entries(fields)) {
    if (value !== undefined && UNSTORABLE.test(value)) {
      (issues ??= []).push({ path, message: "must not contain U+0000 (PostgreSQL text cannot store it)" });
    }
  }
  return issues;
}
