import type { Pool, PoolClient } from "pg";
import { LeaseLostError, type LeaseAcquireResult, type SessionLease } from "../../src/persist/leases.js";
import { leaseTableNames, migrateLeases, type LeaseTableNames } from "./lease-schema.js";
import type { TableNames } from "./names.js";
import { statement, type Statement } from "./statements.js";

// Session leases on PostgreSQL: a row per session with the holder, a fencing token and the
// expiry in epoch milliseconds of the server's clock. Acquire is one conditional upsert
// (INSERT ... ON CONFLICT DO UPDATE ... WHERE expired OR same holder RETURNING), so of any
// number of app servers racing, the row lock lets exactly one through. A fenced write runs
// in a transaction that first locks the lease row FOR SHARE and checks the token: a takeover
// (an UPDATE of that row) waits for the write to commit, so every write of an old token is
// ordered before the new token exists. Row locks rather than advisory locks: an advisory lock
// belongs to one connection, which a pool hands to others and may close at any time, and it
// carries no token to fence with.

interface LeaseRow {
  holder: string;
  token: string | number;
  expires_at: string | number;
}

/** The server's clock, epoch milliseconds (clock_timestamp(): the time now, not the transaction's start). */
const NOW_MS = "(floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint";

function toLease(sessionId: string, row: LeaseRow): SessionLease {
  return { sessionId, holder: row.holder, token: Number(row.token), expiresAt: Number(row.expires_at) };
}

/** Attempts of an acquire whose refusal found the lease free again (released or expired meanwhile). */
const MAX_ACQUIRE_ATTEMPTS = 10;

/** The lease statements for one schema and prefix. */
interface LeaseStatements {
  /** Take or renew. Params: session, holder, ttl. Returns the row when acquired. */
  acquire: Statement;
  /** The row when live by the server's clock. Param: session. */
  readLive: Statement;
  /** The row, expired or not. Param: session. */
  read: Statement;
  /** Lock the row against a takeover until the transaction ends. Param: session. */
  readForShare: Statement;
  /** Extend when the token is current. Params: session, token, ttl. */
  renew: Statement;
  /** Expire when the token is current. Params: session, token. */
  release: Statement;
}

function buildLeaseStatements(t: LeaseTableNames): LeaseStatements {
  const columns = "holder, token, expires_at";
  return {
    acquire: statement(
      `INSERT INTO ${t.leases} AS l (session_id, holder, token, expires_at) VALUES ($1, $2, 1, ${NOW_MS} + $3::bigint)
       ON CONFLICT (session_id) DO UPDATE SET
         holder = EXCLUDED.holder,
         token = CASE WHEN l.expires_at <= EXCLUDED.expires_at - $3::bigint THEN l.token + 1 ELSE l.token END,
         expires_at = EXCLUDED.expires_at
       WHERE l.expires_at <= EXCLUDED.expires_at - $3::bigint OR l.holder = EXCLUDED.holder
       RETURNING ${columns}`,
    ),
    readLive: statement(`SELECT ${columns} FROM ${t.leases} WHERE session_id = $1 AND expires_at > ${NOW_MS}`),
    read: statement(`SELECT ${columns} FROM ${t.leases} WHERE session_id = $1`),
    readForShare: statement(`SELECT ${columns} FROM ${t.leases} WHERE session_id = $1 FOR SHARE`),
    renew: statement(
      `UPDATE ${t.leases} SET expires_at = ${NOW_MS} + $3::bigint WHERE session_id = $1 AND token = $2 RETURNING ${columns}`,
    ),
    release: statement(`UPDATE ${t.leases} SET expires_at = 0 WHERE session_id = $1 AND token = $2`),
  };
}

/** The PostgreSQL driver's leases (see the comment at the top of this file). */
export class PostgresLeases {
  readonly #pool: Pool;
  readonly #names: LeaseTableNames;
  readonly #sql: LeaseStatements;
  #migrated: Promise<void> | undefined;

  constructor(pool: Pool, names: TableNames) {
    this.#pool = pool;
    this.#names = leaseTableNames(names);
    this.#sql = buildLeaseStatements(this.#names);
  }

  /** One conditional upsert; when refused, the live row names the holder (retried when it expired meanwhile). */
  async acquire(sessionId: string, holder: string, ttlMs: number): Promise<LeaseAcquireResult> {
    for (let attempt = 1; ; attempt++) {
      const taken = await this.#query<LeaseRow>(this.#sql.acquire, [sessionId, holder, ttlMs]);
      if (taken.rows[0] !== undefined) return { acquired: true, lease: toLease(sessionId, taken.rows[0]) };
      const live = await this.#query<LeaseRow>(this.#sql.readLive, [sessionId]);
      if (live.rows[0] !== undefined) return { acquired: false, heldBy: toLease(sessionId, live.rows[0]) };
      if (attempt >= MAX_ACQUIRE_ATTEMPTS) {
        // Free each time we looked and taken each time we tried: report the row as it is.
        const row = await this.read(sessionId);
        if (row !== undefined) return { acquired: false, heldBy: row };
      }
    }
  }

  /** One conditional UPDATE by token. @throws LeaseLostError when the token is not current. */
  async renew(lease: SessionLease, ttlMs: number): Promise<SessionLease> {
    const { rows } = await this.#query<LeaseRow>(this.#sql.renew, [lease.sessionId, lease.token, ttlMs]);
    if (rows[0] !== undefined) return toLease(lease.sessionId, rows[0]);
    throw new LeaseLostError(lease, await this.read(lease.sessionId));
  }

  /** One conditional UPDATE by token; a no-op when it is not current. */
  async release(lease: SessionLease): Promise<void> {
    await this.#query(this.#sql.release, [lease.sessionId, lease.token]);
  }

  /** The row, expired or not. */
  async read(sessionId: string): Promise<SessionLease | undefined> {
    const { rows } = await this.#query<LeaseRow>(this.#sql.read, [sessionId]);
    return rows[0] && toLease(sessionId, rows[0]);
  }

  /**
   * Run `write` on one client in a transaction that first locks the lease row FOR SHARE and
   * checks `lease.token`: a takeover waits until the transaction ends. The transaction commits
   * what `write` did (PostgreSQL turns the COMMIT of a transaction a failed statement aborted
   * into a rollback, so a refused batch writes nothing either way).
   * @throws LeaseLostError when the token is not current; nothing is written.
   */
  async fenced<T>(lease: SessionLease, write: (client: PoolClient) => Promise<T>): Promise<T> {
    await this.#ready();
    const client = await this.#pool.connect();
    let done = false;
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const { rows } = await client.query<LeaseRow>({ name: this.#sql.readForShare.name, text: this.#sql.readForShare.text, values: [lease.sessionId] });
      const current = rows[0] && toLease(lease.sessionId, rows[0]);
      if (current === undefined || current.token !== lease.token) throw new LeaseLostError(lease, current);
      const result = await write(client);
      await client.query("COMMIT");
      done = true;
      return result;
    } finally {
      // A connection that cannot even roll back is dropped from the pool, not reused.
      if (!done) await client.query("ROLLBACK").catch((error: unknown) => (broken = error as Error));
      client.release(broken);
    }
  }

  /** Migrate the lease track once (a failed attempt is forgotten, so a later call retries). */
  #ready(): Promise<void> {
    if (this.#migrated === undefined) {
      const attempt = migrateLeases(this.#pool, this.#names).catch((error: unknown) => {
        if (this.#migrated === attempt) this.#migrated = undefined;
        throw error;
      });
      this.#migrated = attempt;
    }
    return this.#migrated;
  }

  /** Let a running migration finish (before the pool ends). */
  async settle(): Promise<void> {
    await this.#migrated?.catch(() => undefined);
  }

  async #query<R extends object>(sql: Statement, values: unknown[]): Promise<{ rows: R[] }> {
    await this.#ready();
    return this.#pool.query<R>({ name: sql.name, text: sql.text, values });
  }
}
