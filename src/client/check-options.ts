import { closestName } from "./closest-name.js";
import { InvalidOptionsError } from "./errors.js";

// A misspelled option is an error, not a silent default: `persistence:` instead of `persist:`
// would otherwise leave every session in memory.

/**
 * Throw {@link InvalidOptionsError} when `options` is not an object or has a key outside
 * `known`, naming each unknown key and the known one it is closest to, if any.
 * `what` names the call, e.g. `"SandboxAgent.connect"`.
 */
export function checkOptionKeys(what: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidOptionsError(`${what} takes an options object, got ${options === null ? "null" : Array.isArray(options) ? "an array" : typeof options}`);
  }
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  let guessed = false;
  const named = unknown.map((key) => {
    const guess = closestName(key, known);
    guessed ||= guess !== undefined;
    return guess === undefined ? JSON.stringify(key) : `${JSON.stringify(key)} (did you mean "${guess}"?)`;
  });
  const list = guessed ? "" : ` (known options: ${known.join(", ")})`;
  throw new InvalidOptionsError(`${what}: unknown option${unknown.length > 1 ? "s" : ""} ${named.join(", ")}${list}`);
}

