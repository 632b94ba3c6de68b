import Database from "better-sqlite3";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Redis } from "ioredis";
import type pg from "pg";
import { keysUnder } from "./redis.js";

// What someone reading a store's raw storage sees, as one string per backend, for tests that
// grep it for secrets or plaintext. Bytes are read as latin1, so ASCII text is found as is.

/** A SQLite database: the bytes of the file and its -wal and -shm, and every row of every table as JSON. */
export function sqliteRaw(filename: string): string {
  let out = "";
  for (const file of [filename, `${filename}-wal`, `${filename}-shm`]) if (existsSync(file)) out += readFileSync(file).toString("latin1");
  const db = new Database(filename, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    for (const { name } of tables) out += JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all(), (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString("latin1") : v));
  } finally {
    db.close();
  }
  return out;
}

/** Every row of every table of a PostgreSQL schema, as JSON text. */
export async function postgresRaw(pool: pg.Pool, schema: string): Promise<string> {
  const tables = await pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", [schema]);
  let out = "";
  for (const { table_name } of tables.rows) {
    const rows = await pool.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${schema}"."${table_name}" t`);
    out += rows.rows.map((r) => r.row).join("\n");
  }
  if (tables.rows.length === 0) throw new Error(`schema ${schema} has no tables`);
  return out;
}

/** Every key under a Redis prefix: its DUMP and its content read by type. */
export async function redisRaw(client: Redis, prefix: string): Promise<string> {
  const keys = await keysUnder(client, prefix);
  if (keys.length === 0) throw new Error(`no key under ${prefix}`);
  let out = "";
  for (const key of keys) {
    out += key;
    const dump = await client.dumpBuffer(key);
    if (dump) out += dump.toString("latin1");
    const type = await client.type(key);
    if (type === "string") out += await client.get(key);
    else if (type === "hash") out += JSON.stringify(await client.hgetall(key));
    else if (type === "list") out += JSON.stringify(await client.lrange(key, 0, -1));
    else if (type === "set") out += JSON.stringify(await client.smembers(key));
    else if (type === "zset") out += JSON.stringify(await client.zrange(key, "0", "-1", "WITHSCORES"));
    else if (type === "stream") out += JSON.stringify(await client.xrange(key, "-", "+"));
    else throw new Error(`key ${key} of unexpected type ${type}`);
  }
  return out;
}

/** Every file under a directory, its bytes as latin1. */
export function filesRaw(directory: string): string {
  let out = "";
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    out += statSync(path).isDirectory() ? filesRaw(path) : readFileSync(path).toString("latin1");
  }
  return out;
}
