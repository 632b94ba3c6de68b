import { BackedSessionStore } from "../../../src/session-store/store.js";
import { SQLiteSessionStoreBackend } from "./backend.js";
import { resolveSessionStoreOptions, type SQLiteSessionStoreOptions } from "./options.js";

/**
 * The Claude Agent SDK's `SessionStore` on SQLite: pass it as `sessionStore` to `query()`,
 * `listSessions()`, `getSessionMessages()`, `importSessionToStore()`. Entries are stored once
 * per `uuid` per transcript (a retried batch or a second import stores nothing new), session
 * summaries are folded inside `append` under the database's write lock, listings read one
 * row per session, and several processes may share the file. Tables `<prefix>claude_*` sit
 * beside the persistence driver's, with their own schema version. See docs/claude-agent-sdk.md.
 *
 * ```ts
 * import { query } from "@anthropic-ai/claude-agent-sdk";
 * const sessionStore = new SQLiteSessionStore({ filename: "./sessions.db" });
 * for await (const message of query({ prompt: "hello", options: { sessionStore } })) console.log(message);
 * ```
 */
export class SQLiteSessionStore extends BackedSessionStore {
  /**
   * Open the database, create or migrate the store's tables, and prepare every statement.
   * @throws PersistValidationError on bad options (nothing is opened).
   * @throws SQLiteSchemaVersionError when the tables were created by a newer release.
   */
  constructor(options: SQLiteSessionStoreOptions) {
    const resolved = resolveSessionStoreOptions(options);
    super("SQLiteSessionStore", new SQLiteSessionStoreBackend(resolved.connection, resolved.names), resolved.fold);
  }
}
