import { MAX_AGENT_STATE_APPEND_BYTES, MAX_AGENT_STATE_PATH_LENGTH } from "./agent-state.js";
import { PersistValidationError, type ValidationIssue } from "./errors.js";
import { isWellFormedText, LONE_SURROGATE_MESSAGE } from "./unicode.js";

// Validation of the agent state arguments at the driver boundary (see agent-state.ts). Every
// problem is a PersistValidationError naming the field, thrown before storage is touched.

/** The problem with an agent state `path`, or `undefined` when it is valid. */
function pathProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length === 0) return "must be a non-empty string";
  if (value.length > MAX_AGENT_STATE_PATH_LENGTH) return `must be at most ${MAX_AGENT_STATE_PATH_LENGTH} characters`;
  if (!isWellFormedText(value)) return LONE_SURROGATE_MESSAGE;
  if (value.includes("\u0000")) return "must not contain U+0000";
  return undefined;
}

/** Validate an agent state file path argument. */
export function parseAgentStatePath(value: unknown, field = "path"): string {
  const problem = pathProblem(value);
  if (problem !== undefined) throw new PersistValidationError("agent state path", [{ path: field, message: problem }]);
  return value as string;
}

/** Whether `value` is a Uint8Array, of this realm or another (a Node Buffer is one too). */
function isUint8Array(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || Object.prototype.toString.call(value) === "[object Uint8Array]";
}

/**
 * Validate the `path`, `offset` and `data` of an agent state write, naming every bad field.
 * `data` must be a Uint8Array of at most {@link MAX_AGENT_STATE_APPEND_BYTES} bytes.
 */
export function parseAgentStateWrite(path: unknown, offset: unknown, data: unknown): void {
  const issues: ValidationIssue[] = [];
  const problem = pathProblem(path);
  if (problem !== undefined) issues.push({ path: "path", message: problem });
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    issues.push({ path: "offset", message: "must be a non-negative safe integer" });
  }
  if (!isUint8Array(data)) {
    issues.push({ path: "data", message: "must be a Uint8Array" });
  } else if (data.byteLength > MAX_AGENT_STATE_APPEND_BYTES) {
    issues.push({
      path: "data",
      message: `must be at most ${MAX_AGENT_STATE_APPEND_BYTES} bytes per call (got ${data.byteLength}); split the write`,
    });
  }
  if (issues.length > 0) throw new PersistValidationError("agent state write", issues);
}
