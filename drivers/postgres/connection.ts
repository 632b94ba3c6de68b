import pg from "pg";
import type { Pool } from "pg";
import type { ResolvedOptions } from "./options.js";

/** The pool the driver runs on, and whether the driver opened it (and so ends it). */
export interface Connection {
  /** The pool. */
  pool: Pool;
  /** True when the driver created the pool from a connection string; false for the caller's pool. */
  owned: boolean;
}

/** The caller's pool, or a new one (which connects on first use). */
export function openPool(options: ResolvedOptions): Connection {
  if ("pool" in options.source) return { pool: options.source.pool, owned: false };
  const { connectionString } = options.source;
  const pool = new pg.Pool(connectionString === undefined ? {} : { connectionString });
  // An idle connection dropped by the server emits "error" on the pool; without a listener
  // that would crash the process. The pool discards the connection itself.
  pool.on("error", () => undefined);
  return { pool, owned: true };
}
