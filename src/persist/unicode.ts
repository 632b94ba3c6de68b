// Well-formed UTF-16: no surrogate code unit without its partner. A lone surrogate has no
// UTF-8 encoding, so PostgreSQL (text and JSONB) refuses it and SQLite stores replacement
// bytes; the drivers refuse it everywhere instead (see schemas.ts).

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `String.prototype.isWellFormed` (ES2024), typed for a library target that predates it. */
interface WellFormedString {
  isWellFormed(): boolean;
}

/**
 * Whether `text` is well-formed UTF-16 (holds no lone surrogate), by regular expression.
 * The fallback of {@link isWellFormedText} where `String.prototype.isWellFormed` is missing.
 */
export function isWellFormedTextByRegex(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * Whether `text` is well-formed UTF-16: no lone surrogate (e.g. `"\ud800"` alone). Uses
 * `String.prototype.isWellFormed` where the engine has it (Node 20, current browsers), which
 * answers at once for a string without any non-Latin-1 character; a regular expression otherwise.
 */
export const isWellFormedText: (text: string) => boolean =
  typeof (String.prototype as Partial<WellFormedString>).isWellFormed === "function"
    ? (text) => (text as unknown as WellFormedString).isWellFormed()
    : isWellFormedTextByRegex;

/** The message of a validation issue about a string holding a lone surrogate. */
export const LONE_SURROGATE_MESSAGE = "must be well-formed Unicode (it holds a lone UTF-16 surrogate)";
