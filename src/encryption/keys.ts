import { EncryptionKeyError } from "./errors.js";

/**
 * One key of an encryption decorator. `key` is the root secret: 32 random bytes, or a
 * `CryptoKey` of algorithm HKDF with usage `deriveKey` (it may be non-extractable, e.g. one
 * kept in IndexedDB), or an extractable AES-GCM 256 key. The AES-GCM key that encrypts and
 * the HMAC key that derives IVs are both derived from it (HKDF-SHA-256), never used raw.
 */
export interface EncryptionKey {
  /** The key's id, stored beside every value it encrypts (1 to 64 characters of `A-Z a-z 0-9 . _ -`). */
  id: string;
  /** The root secret. */
  key: CryptoKey | Uint8Array | ArrayBuffer;
}

/** A key ready to use. */
export interface ResolvedKey {
  readonly id: string;
  /** AES-GCM 256, encrypt and decrypt. */
  readonly aes: CryptoKey;
  /** HMAC-SHA-256, for synthetic IVs. */
  readonly mac: CryptoKey;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const encoder = new TextEncoder();

function subtle(): SubtleCrypto {
  const found = globalThis.crypto?.subtle;
  if (!found) throw new EncryptionKeyError("WebCrypto (globalThis.crypto.subtle) is not available: encryption needs Node >= 20 or a browser page served over HTTPS (or localhost)");
  return found;
}

/**
 * Check the keys' shapes at once (ids, lengths, kinds): throws {@link EncryptionKeyError}.
 * The first key is the one new data is written with.
 */
export function checkKeys(keys: readonly EncryptionKey[] | undefined): asserts keys is readonly EncryptionKey[] {
  if (!Array.isArray(keys) || keys.length === 0) throw new EncryptionKeyError("keys must be a non-empty array of { id, key }: the first one writes, all of them read");
  const seen = new Set<string>();
  keys.forEach((entry, i) => {
    const where = `keys[${i}]`;
    if (typeof entry !== "object" || entry === null) throw new EncryptionKeyError(`${where} must be an object { id, key }`);
    if (typeof entry.id !== "string" || !KEY_ID.test(entry.id)) throw new EncryptionKeyError(`${where}.id must be 1 to 64 characters of A-Z a-z 0-9 . _ -, got ${JSON.stringify(entry.id)}`);
    if (seen.has(entry.id)) throw new EncryptionKeyError(`${where}.id "${entry.id}" is used twice`);
    seen.add(entry.id);
    const key = entry.key;
    if (key instanceof Uint8Array || key instanceof ArrayBuffer) {
      if (key.byteLength !== 32) throw new EncryptionKeyError(`${where}.key must be 32 bytes (256 bits), got ${key.byteLength}`);
      return;
    }
    if (typeof CryptoKey !== "undefined" && key instanceof CryptoKey) {
      const name = key.algorithm.name;
      if (name === "HKDF" && key.usages.includes("deriveKey")) return;
      if (name === "AES-GCM" && key.extractable && (key.algorithm as AesKeyAlgorithm).length === 256) return;
      throw new EncryptionKeyError(`${where}.key must be an HKDF CryptoKey with usage deriveKey, or an extractable AES-GCM 256 CryptoKey; got ${name}${key.extractable ? "" : " (non-extractable)"}`);
    }
    throw new EncryptionKeyError(`${where}.key must be 32 bytes (Uint8Array or ArrayBuffer) or a CryptoKey`);
  });
}

async function rootKey(key: EncryptionKey["key"]): Promise<CryptoKey> {
  if (key instanceof Uint8Array || key instanceof ArrayBuffer) {
    const bytes = key instanceof Uint8Array ? new Uint8Array(key) : new Uint8Array(key.slice(0));
    return subtle().importKey("raw", bytes, "HKDF", false, ["deriveKey"]);
  }
  if (key.algorithm.name === "HKDF") return key;
  const raw = await subtle().exportKey("raw", key);
  return subtle().importKey("raw", raw, "HKDF", false, ["deriveKey"]);
}

/** Derive the working keys of every configured key (after {@link checkKeys}). */
export async function resolveKeys(keys: readonly EncryptionKey[]): Promise<ResolvedKey[]> {
  return Promise.all(
    keys.map(async ({ id, key }) => {
      try {
        const root = await rootKey(key);
        const params = (purpose: string): HkdfParams => ({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: encoder.encode(`durable-agent aesgcm.v1 ${purpose}`) });
        const aes = await subtle().deriveKey(params("encrypt"), root, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
        const mac = await subtle().deriveKey(params("iv"), root, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]);
        return { id, aes, mac };
      } catch (cause) {
        if (cause instanceof EncryptionKeyError) throw cause;
        throw new EncryptionKeyError(`key "${id}" could not be prepared: ${(cause as Error)?.message ?? String(cause)}`, { cause });
      }
    }),
  );
}
