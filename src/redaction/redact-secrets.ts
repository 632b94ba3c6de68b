import { SECRET_PATTERNS, type SecretKind, type SecretPattern } from "./patterns.js";
import { findSecrets, mapStrings, replaceSecrets, type SecretReplacer } from "./scan.js";

/** Options of {@link redactSecrets}. */
export interface RedactSecretsOptions {
  /**
   * More patterns, reported as kind `"custom"` (or give `{ kind, pattern }`). A pattern
   * without the `g` flag is used with it.
   */
  extra?: readonly (RegExp | SecretPattern)[];
  /** Leave the built-in patterns out, keeping only `extra` (default false). */
  builtins?: boolean;
  /** The replacement of one secret (default `[REDACTED:<kind>]`). */
  replace?: SecretReplacer;
  /** Also redact object keys, not only string values (default false: keys are kept). */
  keys?: boolean;
}

/** One secret found in a text: where it is and what replaces it. */
export interface SecretMatch {
  /** Offset of its first UTF-16 code unit. */
  start: number;
  /** Offset just after its last code unit. */
  end: number;
  /** Its kind. */
  kind: SecretKind;
  /** The text that replaces it. */
  replacement: string;
}

/**
 * A redaction: the same JSON value with secrets replaced, parts without any shared, never
 * mutated. `findSecrets` gives the matches in one text, which is what lets the recorder
 * redact a secret an agent streamed over several message chunks (see docs/redaction.md).
 */
export interface Redactor {
  <T>(value: T): T;
  /** The secrets in `text`, leftmost first, never overlapping. */
  findSecrets(text: string): SecretMatch[];
}

/** The default replacement: `[REDACTED:<kind>]`. */
export const defaultSecretReplacement: SecretReplacer = (_match, kind) => `[REDACTED:${kind}]`;

function asPattern(item: RegExp | SecretPattern): SecretPattern {
  const given = item instanceof RegExp ? { kind: "custom" as SecretKind, pattern: item } : item;
  const flags = given.pattern.flags.includes("g") ? given.pattern.flags : `${given.pattern.flags}g`;
  return { kind: given.kind, pattern: new RegExp(given.pattern.source, flags) };
}

/**
 * A redactor for secrets in any JSON value: API keys of the common providers (Anthropic,
 * OpenAI, GitHub, Slack, Google, AWS access and secret keys), JWTs, bearer tokens and other
 * `Authorization` credentials, PEM private key blocks, and passwords in URLs. Every string
 * of the value is scanned (object keys too with `keys: true`); the value's shape is kept.
 *
 * @example
 * const sdk = await SandboxAgent.connect({ baseUrl, persist, redact: redactSecrets({ extra: [/\bACME-[0-9a-f]{32}\b/] }) });
 */
export function redactSecrets(options: RedactSecretsOptions = {}): Redactor {
  const patterns = [...(options.builtins === false ? [] : SECRET_PATTERNS), ...(options.extra ?? []).map(asPattern)].map(
    // Own copies: a global RegExp's lastIndex is state, and redactors may run side by side.
    ({ kind, pattern }) => ({ kind, pattern: new RegExp(pattern.source, pattern.flags) }),
  );
  const replace = options.replace ?? defaultSecretReplacement;
  const keys = options.keys === true;
  const edit = (text: string): string => replaceSecrets(text, patterns, replace);
  const redactor = (<T>(value: T): T => mapStrings(value, edit, keys)) as Redactor;
  redactor.findSecrets = (text) => findSecrets(text, patterns).map((hit) => ({ ...hit, replacement: replace(text.slice(hit.start, hit.end), hit.kind) }));
  return redactor;
}
