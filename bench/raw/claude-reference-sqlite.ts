import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionKey, SessionStoreEntry } from "@anthropic-ai/claude-agent-sdk";
import type Database from "better-sqlite3";
import type { StoreUnderTest, Subject } from "../session-store/subject.js";

// The same reference shape on raw better-sqlite3 (WAL, synchronous=NORMAL as the stores use):
// one row per entry, an INTEGER PRIMARY KEY `seq` for order, an index on (project_key,
// session_id, subpath, seq), a partial index for listings; append is one transaction of
// prepared INSERTs, load one SELECT ORDER BY seq, listSessions a GROUP BY over the entries.

class ReferenceSqliteStore implements StoreUnderTest {
  readonly #insert: Database.Statement;
  readonly #load: Database.Statement<[string, string, string], string>;
  readonly #list: Database.Statement<[string], { sessionId: string; mtime: number }>;
  readonly #append: (key: SessionKey, entries: SessionStoreEntry[]) => void;

  constructor(db: Database.Database) {
    this.#insert = db.prepare("INSERT INTO claude_session_store (project_key, session_id, subpath, entry, mtime) VALUES (?, ?, ?, ?, ?)");
    this.#load = db
      .prepare<[string, string, string], string>("SELECT entry FROM claude_session_store WHERE project_key = ? AND session_id = ? AND subpath = ? ORDER BY seq")
      .pluck();
    this.#list = db.prepare(
      "SELECT session_id AS sessionId, MAX(mtime) AS mtime FROM claude_session_store WHERE project_key = ? AND subpath = '' GROUP BY session_id",
    );
    const append = db.transaction((key: SessionKey, entries: SessionStoreEntry[]) => {
      const now = Date.now();
      for (const entry of entries) this.#insert.run(key.projectKey, key.sessionId, key.subpath ?? "", JSON.stringify(entry), now);
    });
    this.#append = (key, entries) => append(key, entries);
  }

  async append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void> {
    if (entries.length > 0) this.#append(key, entries);
  }

  async load(key: SessionKey): Promise<SessionStoreEntry[] | null> {
    const rows = this.#load.all(key.projectKey, key.sessionId, key.subpath ?? "");
    return rows.length === 0 ? null : rows.map((json) => JSON.parse(json) as SessionStoreEntry);
  }

  async listSessions(projectKey: string): Promise<{ sessionId: string; mtime: number }[]> {
    return this.#list.all(projectKey);
  }
}

/** The reference shape on a better-sqlite3 file in a fresh temp directory. */
export const referenceSqlite: Subject = {
  name: "reference shape (better-sqlite3, raw)",
  engine: "sqlite",
  reference: true,
  async open() {
    const { default: Database } = await import("better-sqlite3");
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-ref-"));
    const db = new Database(join(dir, "ref.db"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(`CREATE TABLE claude_session_store (
      seq         INTEGER PRIMARY KEY,
      project_key TEXT NOT NULL,
      session_id  TEXT NOT NULL,
      subpath     TEXT NOT NULL DEFAULT '',
      entry       TEXT NOT NULL,
      mtime       INTEGER NOT NULL
    )`);
    db.exec("CREATE INDEX claude_session_store_key ON claude_session_store (project_key, session_id, subpath, seq)");
    db.exec("CREATE INDEX claude_session_store_list ON claude_session_store (project_key, session_id) WHERE subpath = ''");
    return {
      store: new ReferenceSqliteStore(db),
      async cleanup() {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
