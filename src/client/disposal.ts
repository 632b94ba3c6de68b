import type { RetentionScheduler } from "../lifecycle/retention-scheduler.js";
import type { SessionEvent } from "../persist/types.js";
import type { AgentStateLink } from "./agent-state-link.js";
import type { ConnectionPool } from "./connection-pool.js";
import { Deadline } from "./deadline.js";
import { DisposedError, UnstoredEventsError } from "./errors.js";
import type { SessionLeases } from "./session-leases.js";
import type { SessionRegistry } from "./session-registry.js";

// How a client shuts down: its connections closed once, the last events of its sessions
// stored (or handed to the app), the last agent state snapshots finished or aborted, and
// its leases given up once nothing is left to store.

/** Options of {@link SandboxAgent.dispose}. */
export interface DisposeOptions {
  /** How long to wait for the store to take the last events, in ms (default 5000). */
  timeoutMs?: number;
  /**
   * Receives the events the store did not take in time (instead of `dispose` rejecting with
   * `UnstoredEventsError`), e.g. to write them to a file. Storing them again later is safe.
   */
  onUnstoredEvents?: (events: SessionEvent[]) => void | Promise<void>;
}

const DISPOSE_FLUSH_MS = 5_000;

/** What a client's shutdown works on. */
export interface DisposalParts {
  sessions: SessionRegistry;
  leases: SessionLeases;
  pool: ConnectionPool;
  agentState: AgentStateLink;
  /** The `retention` option's timer, when one was asked for. */
  retention: RetentionScheduler | undefined;
}

/** One client's shutdown; see `SandboxAgent.dispose`. */
export class ClientDisposal {
  private disposed = false;
  /** The first `dispose()`'s closing of the connections. */
  private closing: Promise<void> | undefined;

  constructor(private readonly parts: DisposalParts) {}

  /** Whether `dispose` was called. */
  get started(): boolean {
    return this.disposed;
  }

  /**
   * The first call closes the connections; every call (also a later one) then waits for the
   * store and says what it could not take.
   */
  async run(options: DisposeOptions): Promise<void> {
    const { sessions, leases, agentState } = this.parts;
    const deadline = new Deadline({ timeoutMs: options.timeoutMs ?? DISPOSE_FLUSH_MS, what: "dispose" });
    // Once the last events are stored (or handed on), the leases go: the sessions are free at once.
    const releasing = () => deadline.settle(leases.releaseAll());
    try {
      if (!this.disposed) {
        this.disposed = true;
        this.closing = this.closeConnections();
      }
      await deadline.settle(this.closing!);
      // A session taken over by another client stores nothing more: its unstored events are not
      // this client's to keep (storing them later would write into the new holder's history).
      for (const session of sessions.boundSessions()) if (leases.keeperOf(session)?.state === "lost") session.recorder.abandon();
      const bound = [...sessions.boundSessions()];
      await deadline.settle(Promise.all(bound.map((session) => session.recorder.flush().catch(() => undefined))));
      // A snapshot of the last turn may finish within the deadline; one still running then is aborted.
      await deadline.settle(agentState.close(options.timeoutMs ?? DISPOSE_FLUSH_MS));
      const unstored = bound.filter((session) => session.recorder.pending > 0);
      if (unstored.length === 0) return await releasing();
      if (options.onUnstoredEvents) {
        const events = unstored.flatMap((session) => session.recorder.abandon());
        await releasing();
        try {
          await options.onUnstoredEvents(events);
        } catch (error) {
          throw new UnstoredEventsError(events, error);
        }
        return;
      }
      // The lease is kept while events wait for the store: a later dispose() may still store them.
      throw new UnstoredEventsError(unstored.flatMap((session) => session.recorder.unstored()));
    } finally {
      deadline.dispose();
    }
  }

  /** Close every connection; pending prompts settle with `DisposedError`. Never waits on the runtime's DELETE. */
  private async closeConnections(): Promise<void> {
    const { sessions, pool, retention } = this.parts;
    const retentionStopped = retention?.stop();
    for (const session of sessions.boundSessions()) session.permissions.cancelAll();
    await pool.closeAll(new DisposedError());
    await retentionStopped;
  }
}
