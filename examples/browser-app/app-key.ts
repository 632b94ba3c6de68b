// The app's encryption key, for `?encrypt=1`: made once per origin and kept in IndexedDB as a
// non-extractable CryptoKey, so the page's scripts can use it but never read its bytes. It
// protects the stored conversation from whoever reads the profile's files or a copy of them;
// not from a script running in the page (see docs/encryption.md).

const KEY_DATABASE = "durable-agent-example-keys";
const KEY_STORE = "keys";
const KEY_NAME = "example-1";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open(): Promise<IDBDatabase> {
  const req = indexedDB.open(KEY_DATABASE, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(KEY_STORE);
  return request(req);
}

/** The key id the app writes under. */
export const APP_KEY_ID = KEY_NAME;

/** The origin's key: read, or made and stored (`add`, so two tabs starting at once end up with one key). */
export async function appKey(): Promise<CryptoKey> {
  const db = await open();
  try {
    const found = (await request(db.transaction(KEY_STORE).objectStore(KEY_STORE).get(KEY_NAME))) as CryptoKey | undefined;
    if (found) return found;
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const key = await crypto.subtle.importKey("raw", bytes, "HKDF", false, ["deriveKey"]);
    bytes.fill(0);
    try {
      await request(db.transaction(KEY_STORE, "readwrite").objectStore(KEY_STORE).add(key, KEY_NAME));
      return key;
    } catch {
      // Another tab stored its key first: use that one.
      return (await request(db.transaction(KEY_STORE).objectStore(KEY_STORE).get(KEY_NAME))) as CryptoKey;
    }
  } finally {
    db.close();
  }
}
