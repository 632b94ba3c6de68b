/**
 * Add `value` to `store` unless its key is taken, inside the caller's readwrite transaction:
 * resolves `true` when added, `false` when a record with that key exists. The refusal is
 * handled (`preventDefault`), so it neither aborts the transaction nor reaches any `onerror`
 * of the database; any other failure rejects and aborts as usual. Readwrite transactions on
 * one store never overlap, so of several tabs adding one key, exactly one gets `true`.
 */
export function addUnlessPresent(store: IDBObjectStore, value: unknown): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const request = store.add(value);
    request.onsuccess = () => resolve(true);
    request.onerror = (event) => {
      if (request.error?.name !== "ConstraintError") {
        reject(request.error ?? new DOMException("The add request failed", "UnknownError"));
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      resolve(false);
    };
  });
}
