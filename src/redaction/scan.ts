import { toWellFormedText } from "../persist/unicode.js";
import type { SecretKind, SecretPattern } from "./patterns.js";

/** Turns one found secret into its replacement text. */
export type SecretReplacer = (match: string, kind: SecretKind) => string;

interface Found {
  start: number;
  end: number;
  kind: SecretKind;
  rank: number;
}

/** Where `patterns` match in `text`: leftmost first (on a tie, the pattern listed first), never overlapping. */
export function findSecrets(text: string, patterns: readonly SecretPattern[]): { start: number; end: number; kind: SecretKind }[] {
  const found: Found[] = [];
  for (let rank = 0; rank < patterns.length; rank++) {
    const { pattern, kind } = patterns[rank]!;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      if (m[0].length === 0) {
        pattern.lastIndex++;
        continue;
      }
      found.push({ start: m.index, end: m.index + m[0].length, kind, rank });
    }
  }
  found.sort((a, b) => a.start - b.start || a.rank - b.rank);
  const kept: { start: number; end: number; kind: SecretKind }[] = [];
  let at = 0;
  for (const hit of found) {
    if (hit.start < at) continue;
    kept.push({ start: hit.start, end: hit.end, kind: hit.kind });
    at = hit.end;
  }
  return kept;
}

/**
 * `text` with every match of `patterns` replaced. All patterns look at the original text
 * and the matches are taken as {@link findSecrets} gives them, so a replacement is never
 * scanned again. Returns `text` itself when nothing matched.
 */
export function replaceSecrets(text: string, patterns: readonly SecretPattern[], replace: SecretReplacer): string {
  const found = findSecrets(text, patterns);
  if (found.length === 0) return text;
  let out = "";
  let at = 0;
  for (const hit of found) {
    out += text.slice(at, hit.start) + replace(text.slice(hit.start, hit.end), hit.kind);
    at = hit.end;
  }
  // A custom pattern may cut a surrogate pair in two: the result is made well-formed again.
  return toWellFormedText(out + text.slice(at));
}

/**
 * A copy of the JSON `value` with `edit` applied to every string (and to object keys when
 * `keys`), sharing every part that did not change; `value` itself when nothing changed.
 */
export function mapStrings<T>(value: T, edit: (text: string) => string, keys: boolean): T {
  if (typeof value === "string") return edit(value) as T;
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = mapStrings(value[i] as unknown, edit, keys);
      if (item !== value[i]) (out ??= value.slice())[i] = item;
    }
    return (out ?? value) as T;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  let changed = false;
  const mapped = entries.map(([key, item]): [string, unknown] => {
    const newKey = keys ? edit(key) : key;
    const newItem = mapStrings(item, edit, keys);
    if (newKey !== key || newItem !== item) changed = true;
    return [newKey, newItem];
  });
  if (!changed) return value;
  const out: Record<string, unknown> = {};
  // defineProperty: a key "__proto__" stays an own key, as JSON.parse makes it.
  for (const [key, item] of mapped) Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
  return out as T;
}
