// Secrets as they appear in the wild (made up, of the right shapes), planted by the
// redaction tests. Each is found by one of redactSecrets()'s built-in patterns.

/** One planted secret per built-in kind (two for OpenAI and GitHub). */
export const PLANTED = {
  anthropic: "sk-ant-api03-Zq7xT1mN4bV8cR2pL6wK9yH3jF5dS0aG-QeWrTyUiOpAsDfGhJkL_zx12cv34bn56AA",
  openai: "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9oPq",
  openaiLegacy: "sk-4fJ8kL2mN6pQ9rS3tU7vW1xY5zA8bC2dE6fG9hJ3kL7m",
  awsAccess: "AKIAIOSFODNN7EXAMPLE",
  awsSecret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  github: "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
  githubPat: "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
  slack: "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
  google: "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
  jwt: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
  bearer: "opaqueToken.1234567890abcdef",
  basic: "dXNlcjpwYXNzd29yZA==",
  urlPassword: "hunter2-pw-Zk81",
  pem: "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98sdf0AbCdEfGhIjKlMnOpQrStUvWxYz\n-----END RSA PRIVATE KEY-----",
} as const;

/** A text holding every planted secret with its usual label. */
export function textWithSecrets(): string {
  const p = PLANTED;
  return [
    `anthropic ${p.anthropic}`,
    `openai=${p.openai} legacy ${p.openaiLegacy}`,
    `aws_access_key_id=${p.awsAccess}`,
    `aws_secret_access_key = ${p.awsSecret}`,
    `github ${p.github} and ${p.githubPat}`,
    `slack ${p.slack}`,
    `google ${p.google}`,
    `jwt ${p.jwt}`,
    `curl -H "Authorization: Bearer ${p.bearer}" https://api.example`,
    `Authorization: Basic ${p.basic}`,
    `postgres://app:${p.urlPassword}@db.internal:5432/app`,
    p.pem,
  ].join("\n");
}

/**
 * Every 10-character piece of every planted secret (the PEM block's key body only): a store
 * holding none of them holds no secret, whole or cut in parts.
 */
export function secretPieces(): string[] {
  const pieces = new Set<string>();
  for (const secret of Object.values(PLANTED)) {
    const core = secret.startsWith("-----BEGIN") ? secret.split("\n")[1]! : secret;
    for (let i = 0; i + 10 <= core.length; i++) pieces.add(core.slice(i, i + 10));
  }
  return [...pieces];
}

/** The pieces of {@link secretPieces} found in `raw` (for a readable failure). */
export function piecesIn(raw: string): string[] {
  return secretPieces().filter((piece) => raw.includes(piece) || raw.includes(JSON.stringify(piece).slice(1, -1)));
}
