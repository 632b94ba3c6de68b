import { BackedSessionStore } from "../../../src/session-store/store.js";
import { PostgresSessionStoreBackend } from "./backend.js";
import { resolveSessionStoreOptions, type PostgresSessionStoreOptions } from "./options.js";

/**
 * The Claude Agent SDK's `SessionStore` on PostgreSQL, shared by any number of app servers:
 * pass it as `sessionStore` to `query()`, `listSessions()`, `getSessionMessages()`,
 * `importSessionToStore()`. Entries are stored once per `uuid` per transcript, session
 * summaries are folded inside `append` serialized on the session's row (across processes),
 * an append is one round trip when this process wrote the session last, and listings read one
 * row per session. Tables `<prefix>claude_*` sit beside the persistence driver's, with their
 * own schema version. See docs/claude-agent-sdk.md.
 *
 * ```ts
 * const sessionStore = new PostgresSessionStore({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export class PostgresSessionStore extends BackedSessionStore {
  /**
   * @throws PersistValidationError on bad options. Nothing is connected yet: the first call
   * connects and migrates.
   */
  constructor(options: PostgresSessionStoreOptions = {}) {
    const resolved = resolveSessionStoreOptions(options);
    super("PostgresSessionStore", new PostgresSessionStoreBackend(resolved.connection, resolved.names), resolved.fold);
  }
}
