import { PersistValidationError, type ValidationIssue } from "../persist/errors.js";
import { isWellFormedText, LONE_SURROGATE_MESSAGE } from "../persist/unicode.js";
import type { TranscriptKey } from "./types.js";

// Keys of the SessionStore contract, checked before anything is read or written. Every part
// is a non-empty string of well-formed Unicode without U+0000 (which PostgreSQL text cannot
// hold; refused everywhere so that a key valid for one store is valid for all). `/`, `:` and
// any other character are ordinary: a key is stored as three columns, never joined into one string.

const WHAT = "session store key";

/** The problem with one key part, or `undefined` when it is fine. */
function partIssue(value: unknown, path: string): ValidationIssue | undefined {
  if (typeof value !== "string") return { path, message: `must be a string (got ${value === null ? "null" : typeof value})` };
  if (value === "") return { path, message: "must not be empty" };
  if (value.includes("\u0000")) return { path, message: "must not contain U+0000" };
  if (!isWellFormedText(value)) return { path, message: LONE_SURROGATE_MESSAGE };
  return undefined;
}

function refuse(issues: (ValidationIssue | undefined)[]): void {
  const found = issues.filter((issue): issue is ValidationIssue => issue !== undefined);
  if (found.length > 0) throw new PersistValidationError(WHAT, found);
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PersistValidationError(WHAT, [{ path, message: "must be an object" }]);
  }
  return value as Record<string, unknown>;
}

/**
 * A `SessionKey` checked: `projectKey` and `sessionId` non-empty strings, `subpath` absent
 * (the main transcript, returned as `""`) or a non-empty string.
 * @throws PersistValidationError naming every bad part; nothing has been touched.
 */
export function parseTranscriptKey(key: unknown, path = "key"): TranscriptKey {
  const k = asObject(key, path);
  const subpath = k.subpath === undefined ? undefined : k.subpath;
  refuse([
    partIssue(k.projectKey, `${path}.projectKey`),
    partIssue(k.sessionId, `${path}.sessionId`),
    subpath === undefined
      ? undefined
      : subpath === ""
        ? { path: `${path}.subpath`, message: "must not be empty: omit it for the main transcript" }
        : partIssue(subpath, `${path}.subpath`),
  ]);
  return { projectKey: k.projectKey as string, sessionId: k.sessionId as string, subpath: (subpath as string | undefined) ?? "" };
}

/**
 * The `{ projectKey, sessionId }` of `listSubkeys`, checked.
 * @throws PersistValidationError naming every bad part.
 */
export function parseSessionRef(key: unknown, path = "key"): { projectKey: string; sessionId: string } {
  const k = asObject(key, path);
  refuse([partIssue(k.projectKey, `${path}.projectKey`), partIssue(k.sessionId, `${path}.sessionId`)]);
  return { projectKey: k.projectKey as string, sessionId: k.sessionId as string };
}

/**
 * A project key, checked.
 * @throws PersistValidationError when it is not a non-empty well-formed string without U+0000.
 */
export function parseProjectKey(projectKey: unknown, path = "projectKey"): string {
  refuse([partIssue(projectKey, path)]);
  return projectKey as string;
}

/** One string for a transcript key, for maps: the three parts cannot run into each other. */
export function transcriptKeyString(key: TranscriptKey): string {
  return JSON.stringify([key.projectKey, key.sessionId, key.subpath]);
}
