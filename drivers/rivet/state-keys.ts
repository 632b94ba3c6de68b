import { PersistValidationError } from "../../src/persist/errors.js";
import { setOwnProperty } from "../../src/persist/json-copy.js";

// RivetKit encodes the actor state as CBOR, and an own "__proto__" key does not come back
// from it (the decoder drops it): a payload stored as it is would lose that key at the next
// wake, silently. So what the driver puts in `c.state` has such keys escaped: "__proto__",
// and any key that starts with U+0000, get one U+0000 in front; reading strips it. Other keys
// are stored as they are, so a reader of the state sees the usual layout.

const ESCAPE = "\u0000";

const escapeKey = (key: string): string => (key === "__proto__" || key.startsWith(ESCAPE) ? ESCAPE + key : key);
const unescapeKey = (key: string): string => (key.startsWith(ESCAPE) ? key.slice(1) : key);

function copyWith(value: unknown, rename: (key: string) => string): unknown {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") throw new TypeError(`a ${typeof value} is not a JSON value`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => copyWith(item, rename));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwnProperty(out, rename(key), copyWith((value as Record<string, unknown>)[key], rename));
  return out;
}

/**
 * A copy of a record or event to store in the state, with its keys escaped.
 * @throws PersistValidationError naming `path` when it is not JSON (a cycle, a function, a bigint).
 */
export function toState<T>(value: T, what: string, path: string): T {
  try {
    return copyWith(value, escapeKey) as T;
  } catch (error) {
    const reason = error instanceof RangeError ? "cyclic or nested too deeply" : (error as Error).message;
    throw new PersistValidationError(what, [{ path, message: `must be JSON-serializable (${reason})` }]);
  }
}

/** A fresh copy of what the state holds, keys unescaped. */
export function fromState<T>(value: T): T {
  return copyWith(value, unescapeKey) as T;
}
