import { isWellFormedText } from "./unicode.js";

/** Where {@link walkJson} found a lone surrogate. */
export interface IllFormedText {
  /** Keys and array positions from the walked value down to the string, or to the object whose key it is. */
  path: (string | number)[];
  /** The key holding the lone surrogate, when it is a key rather than a string value. */
  key?: string;
}

/**
 * Walk a JSON value the way `JSON.stringify` would (own enumerable keys, array items) and
 * return where the first string or object key holding a lone UTF-16 surrogate is, or
 * `undefined` when there is none. Throws what makes `JSON.stringify` throw: a `TypeError`
 * for a bigint, a `RangeError` (stack overflow) for a cycle.
 *
 * This runs on every event insert: it costs a few percent of a serialization, and the path
 * is only built on the way back up from a problem.
 */
export function walkJson(value: unknown): IllFormedText | undefined {
  if (typeof value === "string") return isWellFormedText(value) ? undefined : { path: [] };
  if (typeof value !== "object" || value === null) {
    if (typeof value === "bigint") throw new TypeError("a bigint is not JSON");
    return undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walkJson(value[i]);
      if (found !== undefined) {
        found.path.unshift(i);
        return found;
      }
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!isWellFormedText(key)) return { path: [], key };
    const found = walkJson((value as Record<string, unknown>)[key]);
    if (found !== undefined) {
      found.path.unshift(key);
      return found;
    }
  }
  return undefined;
}
