import { randomBytes } from "node:crypto";
import type { SessionKey, SessionStoreEntry } from "@anthropic-ai/claude-agent-sdk";
import type { Pool } from "pg";
import type { StoreUnderTest, Subject } from "../session-store/subject.js";

// The reference shape of the public PostgreSQL SessionStore adapters, rebuilt as the
// baseline of the session store workloads: one row per entry in one table, a BIGSERIAL
// `seq` for order, a composite primary key (project_key, session_id, subpath, seq), a partial
// index for listings; append is one multi-row INSERT from unnest(jsonb[]) with the mtime taken
// from clock_timestamp(), load one SELECT ORDER BY seq, listSessions a GROUP BY over every
// entry of the project. No uuid de-duplication, no summaries, no migrations.

class ReferencePostgresStore implements StoreUnderTest {
  constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  async append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.pool.query({
      name: `ref_append_${this.table}`,
      text: `INSERT INTO ${this.table} (project_key, session_id, subpath, entry, mtime)
             SELECT $1, $2, $3, e, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint
             FROM unnest($4::jsonb[]) WITH ORDINALITY AS t(e, ord) ORDER BY ord`,
      values: [key.projectKey, key.sessionId, key.subpath ?? "", entries.map((e) => JSON.stringify(e))],
    });
  }

  async load(key: SessionKey): Promise<SessionStoreEntry[] | null> {
    const { rows } = await this.pool.query<{ entry: SessionStoreEntry }>({
      name: `ref_load_${this.table}`,
      text: `SELECT entry FROM ${this.table} WHERE project_key = $1 AND session_id = $2 AND subpath = $3 ORDER BY seq`,
      values: [key.projectKey, key.sessionId, key.subpath ?? ""],
    });
    return rows.length === 0 ? null : rows.map((row) => row.entry);
  }

  async listSessions(projectKey: string): Promise<{ sessionId: string; mtime: number }[]> {
    const { rows } = await this.pool.query<{ session_id: string; mtime: string }>({
      name: `ref_list_${this.table}`,
      text: `SELECT session_id, MAX(mtime) AS mtime FROM ${this.table} WHERE project_key = $1 AND subpath = '' GROUP BY session_id`,
      values: [projectKey],
    });
    return rows.map((row) => ({ sessionId: row.session_id, mtime: Number(row.mtime) }));
  }
}

/** The reference shape on the bench's PostgreSQL server, a fresh schema per instance. */
export const referencePostgres: Subject = {
  name: "reference shape (pg, raw)",
  engine: "postgres",
  reference: true,
  async open(url) {
    if (url === undefined) throw new Error("no PostgreSQL server for the bench");
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    pool.on("error", () => undefined);
    const schema = `bench_ref_${randomBytes(6).toString("hex")}`;
    const table = `${schema}.claude_session_store`;
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(`CREATE TABLE ${table} (
      project_key text NOT NULL,
      session_id  text NOT NULL,
      subpath     text NOT NULL DEFAULT '',
      seq         bigserial,
      entry       jsonb NOT NULL,
      mtime       bigint NOT NULL,
      PRIMARY KEY (project_key, session_id, subpath, seq)
    )`);
    await pool.query(`CREATE INDEX ON ${table} (project_key, session_id) WHERE subpath = ''`);
    return {
      store: new ReferencePostgresStore(pool, table),
      async cleanup() {
        await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
        await pool.end();
      },
    };
  },
};
