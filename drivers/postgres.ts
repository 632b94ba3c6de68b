/**
 * `durable-agent/postgres`: session persistence on PostgreSQL, through pg (an optional peer
 * dependency that only this entry point imports), and the Claude Agent SDK's `SessionStore`
 * on the same machinery (`PostgresSessionStore`).
 * @packageDocumentation
 */
import { LeasingPersistDriver } from "../src/persist/leasing-persist-driver.js";
import { parseSessionId } from "../src/persist/schemas.js";
import type { SessionEvent } from "../src/persist/types.js";
import { PostgresBackend } from "./postgres/backend.js";
import type { FollowSessionOptions, SessionFollower } from "./postgres/live.js";
import { resolveOptions, type PostgresSessionPersistDriverOptions } from "./postgres/options.js";

export { PostgresSchemaVersionError } from "./postgres/errors.js";
export type { FollowSessionOptions, SessionFollower } from "./postgres/live.js";
export { DEFAULT_SCHEMA, DEFAULT_TABLE_PREFIX } from "./postgres/names.js";
export type { PostgresSessionPersistDriverOptions } from "./postgres/options.js";
export { POSTGRES_SCHEMA_VERSION } from "./postgres/schema.js";
export { PostgresSessionStore } from "./postgres/session-store/store.js";
export type { PostgresSessionStoreOptions } from "./postgres/session-store/options.js";
export { POSTGRES_SESSION_STORE_SCHEMA_VERSION } from "./postgres/session-store/schema.js";
export type { PruneSessionsOptions } from "../src/session-store/store.js";
export type { FoldSessionSummary } from "../src/session-store/types.js";

const DRIVER_NAME = "PostgresSessionPersistDriver";

/**
 * Session storage in PostgreSQL, shared by any number of app servers. Versioned schema
 * migrated on first use; events keyed by id (unique across sessions) and by
 * `(session_id, event_index)`; keyset paging; batch inserts in one statement; tail reads that
 * cost the same whatever the session's length.
 *
 * ```ts
 * const persist = new PostgresSessionPersistDriver({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export class PostgresSessionPersistDriver extends LeasingPersistDriver {
  readonly #backend: PostgresBackend;

  /**
   * @throws PersistValidationError when `schema` or `tablePrefix` is not a plain identifier, when
   * `connectionString` is not a PostgreSQL URL pg can read, or when both `pool` and
   * `connectionString` are given. Nothing is connected yet: the first call connects.
   */
  constructor(options: PostgresSessionPersistDriverOptions = {}) {
    const backend = new PostgresBackend(resolveOptions(options));
    super(DRIVER_NAME, backend);
    this.#backend = backend;
  }

  /**
   * Follow a session live: `onEvents` receives its events in order, first those stored after
   * `options.afterIndex`, then new ones as they are committed by any process whose driver
   * has `notify: true` (on the same schema and prefix). Holds one connection of the pool
   * until the follower is closed (or the driver is).
   */
  async followSession(
    sessionId: string,
    onEvents: (events: SessionEvent[]) => void | Promise<void>,
    options: FollowSessionOptions = {},
  ): Promise<SessionFollower> {
    this.assertOpen();
    const id = parseSessionId(sessionId, "sessionId");
    return this.#backend.follow(id, onEvents, options, (request) => this.listEvents(request));
  }
}
