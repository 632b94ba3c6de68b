import { AgentStateRestoreError, AgentStateSnapshotError } from "../agent-state/errors.js";
import type { ResolvedAgentStateOptions } from "../agent-state/options.js";
import { lastTurnEnd } from "../agent-state/manifest.js";
import type { AgentStateDriver, AgentStateSnapshotResult, AgentStateStats, AgentStateTarget, AgentStateWriteBack } from "../agent-state/types.js";
import { DurableAgentError } from "../errors.js";
import { hasAgentState } from "../persist/capabilities.js";
import type { SessionPersistDriver } from "../persist/types.js";
import type { HttpEndpoint } from "../transport/http.js";
import { SandboxAgentTransport } from "../transport/sandbox-agent.js";
import type { RuntimeTransport } from "../transport/types.js";
import type { AgentStateWork } from "./agent-state-work.js";

// The client's side of agent state snapshots: whether they can run here (a runtime with a
// file API, a driver with the capability, not switched off), one background snapshot per
// session at a time after each completed turn, and the write-back before `session/load`.
// The copying itself (./agent-state-work.ts) is loaded with the first snapshot or write-back.

/** A session as the link sees it: what to snapshot, and where its failures go. */
export interface AgentStateSubject extends AgentStateTarget {
  /** Report a failure to the session's and the client's `onError`. */
  report(error: DurableAgentError): void;
}

/** What the link needs from the client. */
export interface AgentStateLinkOptions {
  transport: RuntimeTransport;
  persist: SessionPersistDriver;
  options: ResolvedAgentStateOptions;
  /** Deadline of each runtime or store call, ms. */
  callTimeoutMs: number;
}

/** Agent state snapshots and write-backs for one client. */
export class AgentStateLink {
  /** The runtime's file API, when snapshots run here. */
  private readonly endpoint: HttpEndpoint | undefined;
  private readonly storage: AgentStateDriver | undefined;
  /** The snapshotter and write-back, loaded on first use. */
  private loading: Promise<AgentStateWork> | undefined;
  private readonly disabledReason: string | undefined;
  /** The running (or last) snapshot of each session: snapshots of a session never overlap. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly closing = new AbortController();
  private closed = false;
  private readonly counters: Omit<AgentStateStats, "enabled" | "disabledReason"> = {
    snapshots: 0,
    snapshotFailures: 0,
    bytesRead: 0,
    bytesStored: 0,
    snapshotMs: 0,
    writeBacks: 0,
    writeBackFailures: 0,
    staleSnapshots: 0,
  };

  constructor(private readonly link: AgentStateLinkOptions) {
    const { transport, persist, options } = link;
    if (!options.enabled) this.disabledReason = options.disabledReason ?? "switched off";
    else if (!(transport instanceof SandboxAgentTransport)) this.disabledReason = `the ${transport.kind} runtime has no file API`;
    else if (!hasAgentState(persist)) this.disabledReason = "the driver has no agent state capability (appendAgentState...)";
    else {
      this.endpoint = transport.endpoint;
      this.storage = persist;
    }
  }

  /** Whether snapshots are taken (and written back) for sessions of `agent`. */
  covers(agent: string): boolean {
    return this.storage !== undefined && this.link.options.kinds.get(agent) !== undefined;
  }

  /** The snapshotter and write-back (only called when snapshots run here); a failed load is tried again next time. */
  private work(): Promise<AgentStateWork> {
    this.loading ??= import("./agent-state-work.js").then(
      ({ agentStateWork }) => agentStateWork(this.endpoint!, this.storage!, this.link.options, this.link.callTimeoutMs),
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  /** After a completed turn: snapshot in the background (never awaited by the prompt; failures are reported). */
  afterTurn(subject: AgentStateSubject): void {
    if (this.closed || !this.covers(subject.agent)) return;
    const settleMs = this.link.options.kinds.get(subject.agent)?.settleMs ?? 0;
    void this.enqueue(subject, settleMs).catch(() => undefined);
  }

  /**
   * Snapshot now (after any running one), and resolve with what it did; undefined when
   * snapshots do not cover this session. Rejects with the typed failure (also reported).
   */
  snapshotNow(subject: AgentStateSubject): Promise<AgentStateSnapshotResult | undefined> {
    if (!this.covers(subject.agent)) return Promise.resolve(undefined);
    return this.enqueue(subject, 0);
  }

  /**
   * Before `session/load` is tried again: write the stored state back where the sandbox lost
   * it. Resolves with what was written, or undefined when nothing was (no snapshot, a stale
   * one, a failure: reported). Never throws.
   */
  async writeBack(subject: AgentStateSubject): Promise<AgentStateWriteBack | undefined> {
    if (!this.storage || subject.agentSessionId === "") return undefined;
    // A snapshot still running is finished (or failed) first: the copy is then as whole as it gets.
    await this.queues.get(subject.sessionId)?.catch(() => undefined);
    try {
      const outcome = await (await this.work()).writeBack(subject, () => this.callSignal());
      if ("skipped" in outcome) {
        if (outcome.skipped === "stale") this.counters.staleSnapshots++;
        return undefined;
      }
      this.counters.writeBacks++;
      return outcome.written;
    } catch (error) {
      this.counters.writeBackFailures++;
      subject.report(new AgentStateRestoreError(subject.sessionId, (error as Error)?.message ?? String(error), { cause: error }));
      return undefined;
    }
  }

  /** Counters since the client was created. */
  stats(): AgentStateStats {
    return { enabled: this.storage !== undefined, ...(this.disabledReason ? { disabledReason: this.disabledReason } : {}), ...this.counters };
  }

  /**
   * Stop taking snapshots: new ones are not started; running ones may finish within
   * `timeoutMs`, then they are aborted. Resolves then.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    const running = [...this.queues.values()].map((p) => p.catch(() => undefined));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(running), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.closing.abort();
  }

  private enqueue(subject: AgentStateSubject, settleMs: number): Promise<AgentStateSnapshotResult | undefined> {
    // The turn this snapshot is for, read now: by the time it runs (after the settle, after an
    // earlier snapshot) a later turn may have ended whose file lines are not all written yet.
    const covers = lastTurnEnd(this.storage!, subject.sessionId);
    covers.catch(() => undefined);
    const previous = this.queues.get(subject.sessionId) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        if (this.closing.signal.aborted) return undefined;
        if (settleMs > 0) await sleep(settleMs, this.closing.signal);
        const { snapshotter } = await this.work();
        return snapshotter.snapshot(subject, this.closing.signal, covers);
      })
      .then(
        (result) => {
          if (result) {
            this.counters.snapshots++;
            this.counters.bytesRead += result.bytesRead;
            this.counters.bytesStored += result.bytesStored;
            this.counters.snapshotMs += result.durationMs;
          }
          return result;
        },
        (error: unknown) => {
          this.counters.snapshotFailures++;
          // The snapshotter throws typed errors only; anything else is wrapped, never lost.
          const typed = error instanceof DurableAgentError ? error : new AgentStateSnapshotError(subject.sessionId, String(error), { cause: error });
          subject.report(typed);
          throw typed;
        },
      );
    this.queues.set(subject.sessionId, run);
    void run.finally(() => {
      if (this.queues.get(subject.sessionId) === run) this.queues.delete(subject.sessionId);
    }).catch(() => undefined);
    return run;
  }

  private callSignal(): AbortSignal {
    return AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.link.callTimeoutMs)]);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
