import { assertCurrentToken, decideAcquire, decideRelease, decideRenew } from "../../src/persist/lease-rules.js";
import type { LeaseAcquireResult, SessionLease } from "../../src/persist/leases.js";
import type { Connection } from "./connection.js";
import { LEASES } from "./names.js";
import type { LeaseRow } from "./schema.js";
import { request, transact } from "./transaction.js";

// Session leases in IndexedDB: a row per session in the `leases` store, read, decided and
// written in one readwrite transaction. Readwrite transactions whose scopes overlap never run
// at once, in one tab or across tabs, so the row is a fence: a fenced write reads it in the
// same transaction as the write (scope `leases` + the written store) and aborts when its token
// is not the stored one. Expiry is judged by the tab's clock (all tabs of a browser share it).
// Waiting for a lease across tabs (Web Locks) belongs to the client, not to the store.

function rowToLease(row: LeaseRow | undefined): SessionLease | undefined {
  return row && { sessionId: row.sessionId, holder: row.holder, token: row.token, expiresAt: row.expiresAt };
}

/** The lease row of `sessionId` inside the caller's transaction (which must include `leases`). */
export async function leaseIn(tx: IDBTransaction, sessionId: string): Promise<SessionLease | undefined> {
  return rowToLease(await request<LeaseRow | undefined>(tx.objectStore(LEASES).get(sessionId)));
}

/**
 * The fence, inside the caller's readwrite transaction: throws `LeaseLostError` (which aborts
 * the transaction, so nothing of it is written) unless `lease.token` is the stored token.
 */
export async function assertLeaseIn(tx: IDBTransaction, lease: SessionLease): Promise<void> {
  assertCurrentToken(await leaseIn(tx, lease.sessionId), lease);
}

function put(tx: IDBTransaction, lease: SessionLease): Promise<unknown> {
  const row: LeaseRow = { sessionId: lease.sessionId, holder: lease.holder, token: lease.token, expiresAt: lease.expiresAt };
  return request(tx.objectStore(LEASES).put(row));
}

/** Read, decide and write in one readwrite transaction. */
export function acquireLease(connection: Connection, sessionId: string, holder: string, ttlMs: number): Promise<LeaseAcquireResult> {
  return transact(connection, "acquireLease", [LEASES], "readwrite", async (tx) => {
    const { result, write } = decideAcquire(await leaseIn(tx, sessionId), sessionId, holder, ttlMs, Date.now());
    if (write !== undefined) await put(tx, write);
    return result;
  });
}

/** Extend while the token is current, in one readwrite transaction. */
export function renewLease(connection: Connection, lease: SessionLease, ttlMs: number): Promise<SessionLease> {
  return transact(connection, "renewLease", [LEASES], "readwrite", async (tx) => {
    const row = decideRenew(await leaseIn(tx, lease.sessionId), lease, ttlMs, Date.now());
    await put(tx, row);
    return row;
  });
}

/** Expire while the token is current, in one readwrite transaction. */
export async function releaseLease(connection: Connection, lease: SessionLease): Promise<void> {
  await transact(connection, "releaseLease", [LEASES], "readwrite", async (tx) => {
    const row = decideRelease(await leaseIn(tx, lease.sessionId), lease);
    if (row !== undefined) await put(tx, row);
  });
}

/** A get by primary key. */
export function readLease(connection: Connection, sessionId: string): Promise<SessionLease | undefined> {
  return transact(connection, "getLease", [LEASES], "readonly", (tx) => leaseIn(tx, sessionId));
}
