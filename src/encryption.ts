/**
 * durable-agent/encryption: encryption at rest for any driver and any Claude Agent SDK
 * `SessionStore`, on WebCrypto (AES-GCM 256) in Node >= 20 and browsers, without a
 * dependency. Its own entry, so apps that do not encrypt do not carry it. See docs/encryption.md.
 * @packageDocumentation
 */
export * from "./encryption/index.js";
