import { fromBase64Url, toBase64Url } from "./base64.js";
import { ENCRYPTED_FORMAT, type EncryptedValue } from "./envelope.js";
import { DecryptionFailedError } from "./errors.js";
import { checkKeys, resolveKeys, type EncryptionKey, type ResolvedKey } from "./keys.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Bytes encrypted under one key: the key's id, the 12-byte IV, and the ciphertext with its 16-byte tag. */
export interface SealedBytes {
  kid: string;
  iv: Uint8Array;
  ct: Uint8Array;
}

/** The AES-GCM additional data: the format, the key id and the value's context. */
function additionalData(keyId: string, context: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${ENCRYPTED_FORMAT}\u0000${keyId}\u0000${context}`);
}

/** How the IV of one encryption is chosen. */
export type IvMode =
  /**
   * From HMAC(key, context, plaintext): the same value in the same context encrypts to the
   * same bytes, so storing an event twice stays an idempotent no-op. Contexts (event ids) are
   * unique, so two different events never share an IV.
   */
  | "synthetic"
  /** 12 random bytes. */
  | "random";

/**
 * The configured keys: encrypts JSON values under the first, decrypts under whichever key
 * a value names. Every value is bound to its context (the AAD): moved elsewhere, it fails
 * to decrypt.
 */
export class Keyring {
  /** Ids of the keys, the writing one first. */
  readonly ids: readonly string[];
  private resolving: Promise<ResolvedKey[]> | undefined;
  private readonly keys: readonly EncryptionKey[];

  constructor(keys: readonly EncryptionKey[] | undefined) {
    checkKeys(keys);
    this.keys = keys.map(({ id, key }) => ({ id, key }));
    this.ids = keys.map((k) => k.id);
  }

  private resolved(): Promise<ResolvedKey[]> {
    this.resolving ??= resolveKeys(this.keys).catch((error: unknown) => {
      this.resolving = undefined;
      throw error;
    });
    return this.resolving;
  }

  /** Encrypt `value` (JSON) bound to `context`, under the writing key or the one named `keyId`. */
  async encrypt(value: unknown, context: string, iv: IvMode, keyId?: string): Promise<EncryptedValue> {
    const sealed = await this.encryptBytes(encoder.encode(JSON.stringify(value)), context, iv, keyId);
    return { _enc: ENCRYPTED_FORMAT, kid: sealed.kid, iv: toBase64Url(sealed.iv), ct: toBase64Url(sealed.ct) };
  }

  /** Encrypt raw bytes bound to `context`, under the writing key or the one named `keyId`. */
  async encryptBytes(plaintext: Uint8Array, context: string, iv: IvMode, keyId?: string): Promise<SealedBytes> {
    const keys = await this.resolved();
    const key = keyId === undefined ? keys[0]! : keys.find((k) => k.id === keyId)!;
    const aad = additionalData(key.id, context);
    const ivBytes = iv === "random" ? crypto.getRandomValues(new Uint8Array(12)) : await syntheticIv(key, aad, plaintext);
    const ct = new Uint8Array(
      await crypto.subtle.encrypt({ name: "AES-GCM", iv: ivBytes, additionalData: aad, tagLength: 128 }, key.aes, plaintext as Uint8Array<ArrayBuffer>),
    );
    return { kid: key.id, iv: ivBytes, ct };
  }

  /** Decrypt a stored value bound to `context`; `where` names it in errors. Throws {@link DecryptionFailedError}. */
  async decrypt(stored: unknown, context: string, where: string): Promise<unknown> {
    const value = stored as Partial<Record<keyof EncryptedValue, unknown>>;
    if (typeof value !== "object" || value === null || value._enc !== ENCRYPTED_FORMAT || typeof value.kid !== "string" || typeof value.iv !== "string" || typeof value.ct !== "string") {
      throw new DecryptionFailedError("malformed", where, typeof value?.kid === "string" ? value.kid : undefined);
    }
    let iv: Uint8Array<ArrayBuffer>;
    let ct: Uint8Array<ArrayBuffer>;
    try {
      iv = fromBase64Url(value.iv);
      ct = fromBase64Url(value.ct);
      if (iv.length !== 12 || ct.length < 16) throw new TypeError("wrong length");
    } catch (cause) {
      throw new DecryptionFailedError("malformed", where, value.kid, { cause });
    }
    const plaintext = await this.decryptBytes({ kid: value.kid, iv, ct }, context, where);
    try {
      return JSON.parse(decoder.decode(plaintext)) as unknown;
    } catch (cause) {
      // Authenticated yet not JSON: written by something else with this key.
      throw new DecryptionFailedError("malformed", where, value.kid, { cause });
    }
  }

  /** Decrypt raw bytes bound to `context`; `where` names them in errors. Throws {@link DecryptionFailedError}. */
  async decryptBytes(sealed: SealedBytes, context: string, where: string): Promise<Uint8Array> {
    const keys = await this.resolved();
    const key = keys.find((k) => k.id === sealed.kid);
    if (!key) throw new DecryptionFailedError("unknown_key", where, sealed.kid);
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: sealed.iv as Uint8Array<ArrayBuffer>, additionalData: additionalData(key.id, context), tagLength: 128 },
          key.aes,
          sealed.ct as Uint8Array<ArrayBuffer>,
        ),
      );
    } catch (cause) {
      throw new DecryptionFailedError("tampered", where, sealed.kid, { cause });
    }
  }
}

async function syntheticIv(key: ResolvedKey, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  // Length-prefixed AAD, so (aad, plaintext) pairs cannot be shifted into one another.
  const input = new Uint8Array(4 + aad.length + plaintext.length);
  new DataView(input.buffer).setUint32(0, aad.length);
  input.set(aad, 4);
  input.set(plaintext, 4 + aad.length);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key.mac, input));
  return mac.slice(0, 12);
}
