// The parts of a RivetKit actor context the driver uses, typed structurally so that this
// entry never imports rivetkit: any actor context (`createVars`, an action, `onWake`) fits.

/** The SQL surface of RivetKit's actor database (`c.db`; `db: db()` from `rivetkit/db` declares it, and RivetKit 2.3 gives one to every actor). */
export interface RivetSqlDatabase {
  /** Run one statement with positional parameters; rows come back as objects keyed by column. */
  execute(sql: string, ...args: unknown[]): Promise<Record<string, unknown>[]>;
  /** Run `run` in one SQLite transaction: all of its statements commit, or none. */
  transaction<T>(run: (tx: Pick<RivetSqlDatabase, "execute">) => Promise<T>, options?: { name?: string }): Promise<T>;
}

/**
 * What {@link RivetSessionPersistDriver} needs from the actor: its state (written through and
 * saved with `saveState`), and optionally its database and logger. `c` of any actor hook fits.
 */
export interface RivetActorContext {
  /** The actor's durable state; the driver keeps its data under one key of it. */
  state: object;
  /** Ask RivetKit to persist the state (`{ maxWait: 0 }`: as soon as it can, without waiting here). */
  saveState(options?: { immediate?: boolean; maxWait?: number }): Promise<void>;
  /** The actor's SQLite database; reading it throws (`database_not_configured`) when the runtime gives none. */
  readonly db?: unknown;
  /** The actor's logger; retention warnings go there when present. */
  readonly log?: { warn(details: Record<string, unknown>, message?: string): unknown };
}

/** `c.db` when the context offers a database, else `undefined` (RivetKit throws `database_not_configured` on the read). */
export function actorDatabase(ctx: RivetActorContext): RivetSqlDatabase | undefined {
  let db: unknown;
  try {
    db = ctx.db;
  } catch (error) {
    if ((error as { code?: unknown }).code === "database_not_configured") return undefined;
    throw error;
  }
  if (typeof db !== "object" || db === null) return undefined;
  const candidate = db as Partial<RivetSqlDatabase>;
  return typeof candidate.execute === "function" && typeof candidate.transaction === "function"
    ? (db as RivetSqlDatabase)
    : undefined;
}
