import type { SessionKey, SessionStore, SessionStoreEntry } from "../session-store/types.js";
import { isEncryptedValue, type EncryptedValue } from "./envelope.js";
import { DecryptionFailedError } from "./errors.js";
import type { EncryptionKey } from "./keys.js";
import { Keyring } from "./keyring.js";

/** Options of {@link encryptedSessionStore}. */
export interface EncryptedSessionStoreOptions {
  /** The keys: the first encrypts, every one decrypts what names it. */
  keys: readonly EncryptionKey[];
  /** Load entries stored in clear as they are instead of failing (default false). */
  readPlaintext?: boolean;
}

/** The methods of the wrapped store passed on unchanged when it has them (they carry no entry content). */
export const ENCRYPTED_STORE_FORWARDED_METHODS = ["listSessions", "delete", "listSubkeys", "close"] as const;

/** A stored entry: `type` and `uuid` in clear, the whole entry sealed in `_sealed`. */
interface SealedEntry {
  type: string;
  uuid?: string;
  _sealed: EncryptedValue;
}

const entryContext = (key: SessionKey, type: string, uuid: string | undefined): string =>
  JSON.stringify(["entry", key.projectKey, key.sessionId, key.subpath ?? "", type, uuid ?? null]);

/**
 * A Claude Agent SDK `SessionStore` that stores every entry encrypted (AES-GCM 256 through
 * WebCrypto): each entry becomes `{ type, uuid, _sealed }`, `type` and `uuid` left in clear
 * (the wrapped store de-duplicates by `uuid`), bound to its project, session, subpath, type
 * and uuid. `load` decrypts; a changed or moved entry fails with `DecryptionFailedError`.
 *
 * `listSessionSummaries` is not offered: the wrapped store would fold its summaries over
 * ciphertext (and a fold over clear entries would store prompts in clear); the SDK falls back
 * to `listSessions` and `load`. `listSessions`, `delete`, `listSubkeys` and `close` are passed
 * on; any other method of the wrapped store is not.
 */
export function encryptedSessionStore(store: SessionStore & { close?(): Promise<void> }, options: EncryptedSessionStoreOptions): SessionStore & { close?(): Promise<void> } {
  const keyring = new Keyring(options?.keys);
  const readPlaintext = options?.readPlaintext === true;
  let lastStart: Promise<void> = Promise.resolve();
  const decorated: SessionStore = {
    append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void> {
      const sealing = Promise.all(
        entries.map(async (entry): Promise<SessionStoreEntry> => {
          const uuid = typeof entry.uuid === "string" ? entry.uuid : undefined;
          const out: SealedEntry = { type: entry.type, _sealed: await keyring.encrypt(entry, entryContext(key, entry.type, uuid), "random") };
          if (uuid !== undefined) out.uuid = uuid;
          return out as unknown as SessionStoreEntry;
        }),
      );
      // Encryption is asynchronous: the wrapped store's append is started in call order all
      // the same (each waits for the one before it to start, not to finish), as the contract asks.
      const started = lastStart.then(() => sealing).then((sealed) => ({ appended: store.append(key, sealed) }));
      lastStart = started.then(
        () => undefined,
        () => undefined,
      );
      return started.then(({ appended }) => appended);
    },
    async load(key: SessionKey): Promise<SessionStoreEntry[] | null> {
      const stored = await store.load(key);
      if (stored === null) return null;
      return Promise.all(
        stored.map(async (entry, i) => {
          const where = `entry ${i} of transcript ${JSON.stringify([key.projectKey, key.sessionId, key.subpath ?? ""])}`;
          const sealed = (entry as Partial<SealedEntry>)._sealed;
          if (!isEncryptedValue(sealed)) {
            if (readPlaintext) return entry;
            throw new DecryptionFailedError("plaintext", where);
          }
          const uuid = typeof entry.uuid === "string" ? entry.uuid : undefined;
          const opened = await keyring.decrypt(sealed, entryContext(key, entry.type, uuid), where);
          if (typeof opened !== "object" || opened === null || Array.isArray(opened)) throw new DecryptionFailedError("malformed", where, sealed.kid as string);
          return opened as SessionStoreEntry;
        }),
      );
    },
  };
  const source = store as unknown as Record<string, unknown>;
  const target = decorated as unknown as Record<string, unknown>;
  for (const name of ENCRYPTED_STORE_FORWARDED_METHODS) {
    const method = source[name];
    if (typeof method === "function") target[name] = (method as (...args: unknown[]) => unknown).bind(store);
  }
  return decorated;
}
