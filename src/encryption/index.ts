export { encryptedPersistDriver, ENCRYPTED_DRIVER_METHODS, ENCRYPTED_RECORD_FIELDS, type EncryptedPersistDriverOptions } from "./driver.js";
export { encryptedSessionStore, ENCRYPTED_STORE_FORWARDED_METHODS, type EncryptedSessionStoreOptions } from "./session-store.js";
export { DecryptionFailedError, EncryptionKeyError, type DecryptionFailureReason } from "./errors.js";
export { ENCRYPTED_FORMAT, isEncryptedValue, type EncryptedValue } from "./envelope.js";
export type { EncryptionKey } from "./keys.js";
export { reencryptSessions, type ReencryptOptions, type ReencryptReport } from "./reencrypt.js";
