import type Database from "better-sqlite3";
import { assertCurrentToken, decideAcquire, decideRelease, decideRenew } from "../../src/persist/lease-rules.js";
import type { LeaseAcquireResult, SessionLease } from "../../src/persist/leases.js";
import { migrateLeases } from "./lease-schema.js";

interface LeaseRow {
  holder: string;
  token: number;
  expires_at: number;
}

/**
 * The SQLite driver's leases: a row per session in `<prefix>leases`, read and written in one
 * `BEGIN IMMEDIATE` transaction (the database's write lock serialises every connection and
 * process on the file), judged by the process clock. A fenced write checks the token and
 * writes in that same transaction, so a takeover cannot slip in between.
 */
export class SQLiteLeases {
  readonly #read: Database.Statement<[string], LeaseRow>;
  readonly #write: Database.Statement<[string, string, number, number]>;
  readonly #transaction: <T>(run: () => T) => T;

  /** Create or migrate the lease table and prepare its statements. */
  constructor(db: Database.Database, prefix: string) {
    const t = migrateLeases(db, prefix);
    this.#read = db.prepare<[string], LeaseRow>(`SELECT holder, token, expires_at FROM "${t.leases}" WHERE session_id = ?`);
    this.#write = db.prepare(
      `INSERT INTO "${t.leases}" (session_id, holder, token, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (session_id) DO UPDATE SET holder = excluded.holder, token = excluded.token, expires_at = excluded.expires_at`,
    );
    const immediate = db.transaction((run: () => unknown) => run());
    this.#transaction = <T>(run: () => T) => immediate.immediate(run) as T;
  }

  acquire(sessionId: string, holder: string, ttlMs: number): LeaseAcquireResult {
    return this.#transaction(() => {
      const { result, write } = decideAcquire(this.read(sessionId), sessionId, holder, ttlMs, Date.now());
      if (write !== undefined) this.#store(write);
      return result;
    });
  }

  renew(lease: SessionLease, ttlMs: number): SessionLease {
    return this.#transaction(() => {
      const row = decideRenew(this.read(lease.sessionId), lease, ttlMs, Date.now());
      this.#store(row);
      return row;
    });
  }

  release(lease: SessionLease): void {
    this.#transaction(() => {
      const row = decideRelease(this.read(lease.sessionId), lease);
      if (row !== undefined) this.#store(row);
    });
  }

  read(sessionId: string): SessionLease | undefined {
    const row = this.#read.get(sessionId);
    return row && { sessionId, holder: row.holder, token: row.token, expiresAt: row.expires_at };
  }

  /**
   * Check `lease.token` is current and run `write` in the same `BEGIN IMMEDIATE` transaction
   * (a transaction `write` opens becomes a savepoint inside it).
   * @throws LeaseLostError when the token is not current; nothing is written.
   */
  fenced<T>(lease: SessionLease, write: () => T): T {
    return this.#transaction(() => {
      assertCurrentToken(this.read(lease.sessionId), lease);
      return write();
    });
  }

  #store(lease: SessionLease): void {
    this.#write.run(lease.sessionId, lease.holder, lease.token, lease.expiresAt);
  }
}
