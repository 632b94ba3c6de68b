/** The format tag of an encrypted value. */
export const ENCRYPTED_FORMAT = "aesgcm.v1";

/**
 * How an encrypted value is stored: plain JSON, so every driver's schema accepts it in place
 * of an event payload or a record field. `ct` is the AES-GCM ciphertext with its 16-byte tag.
 */
export interface EncryptedValue {
  /** The format: {@link ENCRYPTED_FORMAT}. */
  _enc: typeof ENCRYPTED_FORMAT;
  /** Id of the key it was encrypted under. */
  kid: string;
  /** The 12-byte IV, base64url. */
  iv: string;
  /** Ciphertext and tag, base64url. */
  ct: string;
}

/** Whether `value` looks like an encrypted value (any `_enc` tag: an unknown one is reported as malformed, not read as clear). */
export function isEncryptedValue(value: unknown): value is { _enc: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "_enc" in value;
}
