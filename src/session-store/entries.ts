import { PersistValidationError, type ValidationIssue } from "../persist/errors.js";
import { isWellFormedText, LONE_SURROGATE_MESSAGE } from "../persist/unicode.js";
import type { PreparedEntry, SessionStoreEntry } from "./types.js";

// A batch of `append`, checked and made ready to store: every entry a JSON object, its JSON
// text computed once, its `uuid` taken as the idempotency key. A `uuid` seen earlier in the
// same batch drops the later entry (a batch holding a retried entry twice stores it once);
// entries without a `uuid` are all kept.

function uuidIssue(uuid: unknown, path: string): ValidationIssue | undefined {
  if (uuid === undefined || uuid === null) return undefined;
  if (typeof uuid !== "string") return { path, message: `must be a string when present (got ${typeof uuid})` };
  if (uuid.includes("\u0000")) return { path, message: "must not contain U+0000" };
  if (!isWellFormedText(uuid)) return { path, message: LONE_SURROGATE_MESSAGE };
  return undefined;
}

/**
 * Check a batch and prepare it: JSON text and `uuid` of each entry, in order, without the
 * repeats of a `uuid` inside the batch (the first one stays).
 * @throws PersistValidationError naming every bad entry (not an object, a `uuid` that is not
 * a string, not JSON-serializable); nothing is stored then.
 */
export function prepareEntries(entries: unknown, path = "entries"): PreparedEntry[] {
  if (!Array.isArray(entries)) throw new PersistValidationError("session store entries", [{ path, message: "must be an array" }]);
  const prepared: PreparedEntry[] = [];
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    const at = `${path}[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      issues.push({ path: at, message: "must be an object" });
      continue;
    }
    const uuid = (entry as { uuid?: unknown }).uuid;
    const bad = uuidIssue(uuid, `${at}.uuid`);
    if (bad !== undefined) {
      issues.push(bad);
      continue;
    }
    let json: string;
    try {
      json = JSON.stringify(entry);
    } catch (error) {
      issues.push({ path: at, message: `must be JSON-serializable (${(error as Error).message})` });
      continue;
    }
    if (typeof uuid === "string") {
      if (seen.has(uuid)) continue;
      seen.add(uuid);
    }
    prepared.push({ uuid: typeof uuid === "string" ? uuid : null, json, entry: entry as SessionStoreEntry });
  }
  if (issues.length > 0) throw new PersistValidationError("session store entries", issues);
  return prepared;
}

/**
 * What of a batch to store, given which `uuid`s are stored under its key already: every
 * entry whose `uuid` is not stored, and the entries without `uuid`, in order. A batch whose
 * every `uuid` is stored is a replay (a retry of an append that did land, an import run again)
 * and stores nothing, its entries without `uuid` included: they were stored with it the first
 * time. A batch without any `uuid` is always stored whole.
 */
export function entriesToStore(entries: readonly PreparedEntry[], isStored: (uuid: string) => boolean): readonly PreparedEntry[] {
  let withUuid = 0;
  let stored = 0;
  for (const entry of entries) {
    if (entry.uuid === null) continue;
    withUuid++;
    if (isStored(entry.uuid)) stored++;
  }
  if (stored === 0) return entries;
  if (stored === withUuid) return [];
  return entries.filter((entry) => entry.uuid === null || !isStored(entry.uuid));
}
