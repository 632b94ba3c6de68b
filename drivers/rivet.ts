/**
 * `durable-agent/rivet`: session persistence inside a RivetKit actor: records and events in
 * the actor's SQLite database, the records mirrored into the actor's state in the reference
 * driver's layout; or, on request, everything in the state. Nothing here imports rivetkit:
 * the driver takes the actor context it is given.
 * @packageDocumentation
 */
import { PersistDriver } from "../src/persist/persist-driver.js";
import { RivetBackend, type RivetRetentionStatus } from "./rivet/backend.js";
import type { RivetActorContext } from "./rivet/context.js";
import { resolveRivetOptions, type RivetSessionPersistDriverOptions } from "./rivet/options.js";

export { DEFAULT_STATE_KEY } from "./rivet/names.js";
export { RIVET_SCHEMA_VERSION } from "./rivet/schema.js";
export { DEFAULT_LIMITS, type RetentionLimits, type RivetEventStorage, type RivetSessionPersistDriverOptions } from "./rivet/options.js";
export { RivetSchemaVersionError, RivetStateError } from "./rivet/errors.js";
export type { RivetActorContext, RivetSqlDatabase } from "./rivet/context.js";
export type { RetentionReason, RetentionReport } from "./rivet/retention.js";
export type { RivetPersistBookkeeping, RivetPersistData, RivetPersistState } from "./rivet/state.js";
export type { RivetRetentionStatus } from "./rivet/backend.js";

const DRIVER_NAME = "RivetSessionPersistDriver";

/**
 * Session persistence for an actor that owns a sandbox and its agent sessions: construct it
 * from the actor context (in `createVars`), and the sessions resume with their history when
 * the actor sleeps, moves or restarts. Events are appended to the actor's SQLite database
 * (`c.db`, which RivetKit 2.3 gives every actor) and records are stored there too, mirrored
 * into `c.state._sandboxAgentPersist.sessions`; a state written by the reference driver opens
 * and moves in. With `events: "state"` everything stays in `c.state`, as the reference driver
 * keeps it. Caps keep an actor bounded, and every drop is reported. Event trims
 * (`deleteEventsBefore`, for retention) and `listSessionActivity` work in both storages; the
 * agent state files (`appendAgentState` ..., for a restore by `session/load` after the sandbox
 * is lost) are kept in the database, so only in SQLite mode: with `events: "state"` the driver
 * has no agent state methods (`hasAgentState(driver)` is false). See docs/drivers/rivet.md.
 *
 * ```ts
 * createVars: async (c) => {
 *   const persist = new RivetSessionPersistDriver(c);
 *   const sdk = await SandboxAgent.connect({ baseUrl: c.state.baseUrl, persist });
 *   return { sdk };
 * },
 * ```
 */
export class RivetSessionPersistDriver extends PersistDriver {
  readonly #backend: RivetBackend;

  /**
   * @param ctx the actor context (`c` of `createVars`, an action or any hook).
   * @throws PersistValidationError on a bad option; RivetStateError when the state key holds
   * something else, or when `events: "sqlite"` is asked (or the events are already in the
   * database) and the actor declares no database. Nothing is changed then.
   */
  constructor(ctx: RivetActorContext, options: RivetSessionPersistDriverOptions = {}) {
    const backend = new RivetBackend(ctx, resolveRivetOptions(options));
    super(DRIVER_NAME, backend);
    this.#backend = backend;
  }

  /** Where events are stored, the caps in force, and how much they dropped so far (also kept in the state). */
  retention(): RivetRetentionStatus {
    return this.#backend.retention();
  }
}
