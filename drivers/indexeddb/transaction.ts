import { wrap, type StoreNames } from "idb";
import { PersistError } from "../../src/persist/errors.js";
import type { Connection } from "./connection.js";
import { IndexedDbOperationError } from "./errors.js";
import type { DurableAgentDb, DurableAgentDbSchema, Transaction } from "./schema.js";

// The one way the driver runs a transaction: on the live connection (opened when needed, and
// opened afresh once if it turns out to be closing), with the body's failure aborting the
// transaction, and the call resolving only once the transaction has committed.

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
export async function transact<T, Mode extends IDBTransactionMode>(
  connection: Connection,
  operation: string,
  stores: StoreNames<DurableAgentDbSchema>[],
  mode: Mode,
  body: (tx: Transaction<Mode>) => T | Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const db = connection.current ?? (await connection.open());
    let tx: Transaction<Mode>;
    try {
      tx = (wrap(db) as unknown as DurableAgentDb).transaction(stores, mode, { durability: connection.durability });
    } catch (error) {
      if (attempt === 0 && isDomException(error, "InvalidStateError")) {
        connection.forget(db);
        continue;
      }
      throw new IndexedDbOperationError(operation, error);
    }
    let result: T;
    try {
      result = await body(tx);
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already aborted by the failed request.
      }
      await tx.done.catch(() => undefined);
      throw error instanceof PersistError ? error : new IndexedDbOperationError(operation, error);
    }
    try {
      await tx.done;
    } catch (error) {
      throw new IndexedDbOperationError(operation, error);
    }
    return result;
  }
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

/**
 * Add every value to `store` on the raw API (no promise per request): the insert fast path.
 * A refused add aborts the whole transaction (its error is not prevented); `onRefused` is
 * told when the refusal is a `ConstraintError` (a key is taken).
 */
export function addAll(store: IDBObjectStore, values: readonly unknown[], onRefused: () => void): void {
  const onError = (event: Event) => {
    if ((event.target as IDBRequest).error?.name === "ConstraintError") onRefused();
  };
  for (const value of values) store.add(value).onerror = onError;
}
