// Redaction: what the client and the session store decorator use, gathered for the public entry.
export { redactSecrets, defaultSecretReplacement, type RedactSecretsOptions, type Redactor } from "./redact-secrets.js";
export { SECRET_PATTERNS, type SecretKind, type SecretPattern } from "./patterns.js";
export type { SecretReplacer } from "./scan.js";
export { isWithheldEnvelope, withheldEnvelope, WITHHELD_META_KEY, type RedactContext, type RedactHook } from "./envelope.js";
export { RedactionFailedError, SessionStoreRedactionError } from "./errors.js";
export { redactingSessionStore, FORWARDED_SESSION_STORE_METHODS, type DecoratedSessionStore, type SessionStoreRedactHook } from "./session-store.js";
