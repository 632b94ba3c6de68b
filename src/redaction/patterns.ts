// The built-in secret patterns of redactSecrets(). Each finds only the secret itself: a
// label in front of it (`Bearer `, `aws_secret_access_key=`, the user name of a URL) is
// matched by look-behind and kept, so a redacted text still says what was there.

/** The kinds of secret the built-in patterns find. */
export type SecretKind =
  | "private_key"
  | "anthropic_key"
  | "openai_key"
  | "github_token"
  | "slack_token"
  | "google_api_key"
  | "aws_access_key"
  | "aws_secret_key"
  | "jwt"
  | "url_password"
  | "bearer_token"
  | "authorization"
  | "custom";

/** One pattern: what it finds (a global regular expression) and the kind it reports. */
export interface SecretPattern {
  /** Reported to `replace` and written into the default replacement. */
  readonly kind: SecretKind;
  /** Must have the `g` flag; matches of zero length are ignored. */
  readonly pattern: RegExp;
}

/**
 * The built-in patterns, most specific first: where two overlap, the one listed first wins
 * (an Anthropic key is also shaped like an OpenAI one).
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  // A PEM private key block (RSA, EC, OPENSSH, ENCRYPTED...), or its head up to the end of
  // the text when the END line is missing (a truncated paste is still a key).
  {
    kind: "private_key",
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|[\s\S]*$)/gu,
  },
  { kind: "anthropic_key", pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/gu },
  { kind: "openai_key", pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/gu },
  { kind: "github_token", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/gu },
  { kind: "slack_token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/gu },
  { kind: "google_api_key", pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/gu },
  { kind: "aws_access_key", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/gu },
  {
    kind: "aws_secret_key",
    pattern: /(?<=\b(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/giu,
  },
  { kind: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/gu },
  // The password of `scheme://user:password@host`; the user name stays.
  { kind: "url_password", pattern: /(?<=\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s/?#@]+(?=@)/giu },
  // A token after "Bearer" anywhere: at least 8 characters with a digit, so prose ("a bearer of
  // news") is left alone. Inside an Authorization header any value is taken (next pattern).
  { kind: "bearer_token", pattern: /(?<=\bbearer\s+)(?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{8,}=*/giu },
  // The credential of an Authorization header, after its scheme (Bearer, Basic, token...) if any.
  {
    kind: "authorization",
    pattern: /(?<=\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|digest|negotiate)\s+)?)(?!(?:bearer|basic|token|digest|negotiate)\s)[^\s"',;]+/giu,
  },
];
