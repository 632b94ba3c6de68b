import { PersistError } from "../../src/persist/errors.js";
import type { Connection } from "./connection.js";
import { IndexedDbOperationError } from "./errors.js";

// The one way the driver runs a transaction: on the live connection (opened when needed, and
// opened afresh once if it turns out to be closing), with the body's failure aborting the
// transaction, and the call resolving only once the transaction has committed. It works on
// the raw IndexedDB API (no wrapper object per transaction, store or request): inserts are
// the hot path, and a request is turned into a promise only where the body awaits it.

function isDomException(error: unknown, name: string): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === name;
}

/**
 * Run `body` in one transaction on `stores` and resolve with its result once the transaction
 * has committed. When the body throws, or a request fails, the transaction is aborted, so
 * nothing of the call is written; the failure surfaces as the driver's own typed error
 * (`PersistError`s as they are, anything else as `IndexedDbOperationError` naming `operation`).
 * A connection that turns out to be closing is dropped and the call retried once on a new one.
 */
export async function transact<T>(
  connection: Connection,
  operation: string,
  stores: string[],
  mode: IDBTransactionMode,
  body: (tx: IDBTransaction) => T | Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const db = connection.current ?? (await connection.open());
    let tx: IDBTransaction;
    try {
      tx = db.transaction(stores, mode, { durability: connection.durability });
    } catch (error) {
      if (attempt === 0 && isDomException(error, "InvalidStateError")) {
        connection.forget(db);
        continue;
      }
      throw new IndexedDbOperationError(operation, error);
    }
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error ?? new DOMException("The transaction was aborted", "AbortError"));
    });
    let result: T;
    try {
      result = await body(tx);
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already aborted by the failed request.
      }
      await done.catch(() => undefined);
      throw error instanceof PersistError ? error : new IndexedDbOperationError(operation, error);
    }
    try {
      await done;
    } catch (error) {
      throw new IndexedDbOperationError(operation, error);
    }
    return result;
  }
}

/** The result of one request, as a promise (rejected with the request's error). */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new DOMException("The request failed", "UnknownError"));
  });
}

/** Up to `limit` values of a cursor request, in the cursor's direction. */
export function collect<T>(req: IDBRequest<IDBCursorWithValue | null>, limit: number): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const values: T[] = [];
    req.onsuccess = () => {
      const cursor = req.result;
      if (cursor === null || values.length >= limit) {
        resolve(values);
        return;
      }
      values.push(cursor.value as T);
      if (values.length < limit) cursor.continue();
      else resolve(values);
    };
    req.onerror = () => reject(req.error ?? new DOMException("The cursor failed", "UnknownError"));
  });
}

/**
 * Add `value` to `store` unless its key is taken, inside the caller's readwrite transaction:
 * resolves `true` when added, `false` when a record with that key exists. The refusal is
 * handled (`preventDefault`), so it neither aborts the transaction nor reaches any `onerror`
 * of the database; any other failure rejects and aborts as usual. Readwrite transactions on
 * one store never overlap, so of several tabs adding one key, exactly one gets `true`.
 */
export function addUnlessPresent(store: IDBObjectStore, value: unknown): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = store.add(value);
    req.onsuccess = () => resolve(true);
    req.onerror = (event) => {
      if (req.error?.name !== "ConstraintError") {
        reject(req.error ?? new DOMException("The add request failed", "UnknownError"));
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      resolve(false);
    };
  });
}

/**
 * Add every value to `store`, issuing the requests without waiting for any: the insert fast
 * path. A refused add aborts the whole transaction (its error is not prevented); `onRefused`
 * is told when the refusal is a `ConstraintError` (a key is taken).
 */
export function addAll(store: IDBObjectStore, values: readonly unknown[], onRefused: () => void): void {
  const onError = (event: Event) => {
    if ((event.target as IDBRequest).error?.name === "ConstraintError") onRefused();
  };
  for (const value of values) store.add(value).onerror = onError;
}
