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

const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, "g");

/** `text` with every lone surrogate replaced by U+FFFD (what `String.prototype.toWellFormed` does). */
export function toWellFormedText(text: string): string {
  return isWellFormedText(text) ? text : text.replace(LONE_SURROGATES, "\uFFFD");
}

/**
 * A JSON value with every lone surrogate in its strings and keys replaced by U+FFFD, or the
 * value itself when it holds none (no copy then). For data that must be stored although its
 * sender produced a lone surrogate: an agent's message, say.
 */
export function toWellFormedJson<T>(value: T): T {
  if (typeof value === "string") return toWellFormedText(value) as T;
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = toWellFormedJson(value[i] as unknown);
      if (item !== value[i]) (out ??= value.slice())[i] = item;
    }
    return (out ?? value) as T;
  }
  let out: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const fixedKey = toWellFormedText(key);
    const fixed = toWellFormedJson(item);
    if (fixedKey === key && fixed === item) continue;
    if (!out) {
      out = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    if (fixedKey !== key) delete out[key];
    Object.defineProperty(out, fixedKey, { value: fixed, enumerable: true, writable: true, configurable: true });
  }
  return (out ?? value) as T;
}
