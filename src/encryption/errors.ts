import { DurableAgentError } from "../errors.js";

/** Why a stored value could not be decrypted. */
export type DecryptionFailureReason =
  /** The value names a key id none of the configured keys has. */
  | "unknown_key"
  /** Authentication failed: the ciphertext, its IV or its context (event id, index, ...) was changed, or the key is not the one it was written with. */
  | "tampered"
  /** The value is not a well-formed encrypted envelope (a field missing, bad base64, not JSON inside). */
  | "malformed"
  /** The value is stored in clear, and the decorator was not told to accept that (`readPlaintext`). */
  | "plaintext";

/**
 * A stored value could not be decrypted: never skipped, never returned in part. `where` says
 * which value (`event <id> of session <id>`, `session <id>.sessionInit`, an entry of a
 * transcript), `reason` why.
 */
export class DecryptionFailedError extends DurableAgentError {
  /** Why decryption failed. */
  readonly reason: DecryptionFailureReason;
  /** Which stored value failed. */
  readonly where: string;
  /** The key id the value names, when it names one. */
  readonly keyId: string | undefined;

  constructor(reason: DecryptionFailureReason, where: string, keyId?: string, options?: { cause?: unknown }) {
    const why: Record<DecryptionFailureReason, string> = {
      unknown_key: `it was encrypted under key "${keyId}", which is not among the configured keys`,
      tampered: `authentication failed (the stored data or its context was changed, or key "${keyId}" is not the key it was written with)`,
      malformed: "it is not a well-formed encrypted value",
      plaintext: "it is stored in clear (pass readPlaintext: true to read data stored before encryption was turned on)",
    };
    super("encryption.decryption_failed", `Cannot decrypt ${where}: ${why[reason]}`, options);
    this.reason = reason;
    this.where = where;
    this.keyId = keyId;
  }
}

/** The keys given to an encryption decorator are unusable (none, a duplicate id, a wrong length or kind of key). Nothing was read or written. */
export class EncryptionKeyError extends DurableAgentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("encryption.invalid_key", message, options);
  }
}
