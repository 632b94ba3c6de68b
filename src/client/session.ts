import type {
  PromptResponse,
  RequestPermissionResponse,
  SessionConfigOption,
  SessionModeState,
  SetSessionConfigOptionResponse,
  SetSessionModeResponse,
} from "@agentclientprotocol/sdk";
import type { DurableAgentError } from "../errors.js";
import { PersistenceFailedError, PersistenceTimeoutError, type SessionRecorder } from "../history/recorder.js";
import { loadReplay, withReplay, type Replay } from "../history/replay.js";
import { listLatestEventsVia } from "../persist/capabilities.js";
import type { ListEventsRequest, ListPage, SessionEvent, SessionPersistDriver, SessionRecord } from "../persist/types.js";
import { RuntimeLostError } from "../transport/errors.js";
import type { AgentConnection } from "./agent-connection.js";
import type { AgentStateLink, AgentStateSubject } from "./agent-state-link.js";
import type { AgentStateSnapshotResult } from "../agent-state/types.js";
import { Deadline } from "./deadline.js";
import { toPromptBlocks, type PromptInput } from "./prompt-input.js";
import {
  InvalidOptionsError,
  SessionBusyError,
  SessionDestroyedError,
  SessionNotFoundError,
  UnsupportedSessionCategoryError,
  UnsupportedSessionConfigOptionError,
  UnsupportedSessionValueError,
} from "./errors.js";
import { defaultCwd, restoreSession, startAgentSession, type RestorationTarget, type SessionRestoration } from "./restoration.js";
import {
  allowedValues,
  allowsValue,
  configCategories,
  configOptionByCategory,
  configOptionById,
  modeIds,
  withConfigValue,
  withCurrentMode,
  type ConfigValue,
} from "./settings.js";
import { stateChangeOf } from "./state-changes.js";
import type { ResolvedOptions } from "./options.js";
import { PermissionDesk, type PermissionReply, type PermissionRequestListener } from "./permissions.js";

/** Receives every event of a session the moment it crosses the wire. */
export type SessionEventListener = (event: SessionEvent) => void;

/** Per-prompt options. */
export interface PromptOptions {
  /** Abort the turn: the agent is sent `session/cancel` and the prompt rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Give up after this many ms: the agent is sent `session/cancel` and the prompt rejects with `RuntimeTimeoutError`. */
  timeoutMs?: number;
}

/** Options of {@link Session.rawSend}. */
export interface SessionSendOptions {
  /** Send as a notification (no answer awaited). */
  notification?: boolean;
}

export type { SessionRestoration } from "./restoration.js";

/** What a session needs from the client that owns it. */
export interface SessionHost {
  /** The store. */
  readonly persist: SessionPersistDriver;
  /** Resolved client options. */
  readonly options: ResolvedOptions;
  /** Agent state snapshots and write-backs. */
  readonly agentState: AgentStateLink;
  /** An open connection to `agent`, re-bootstrapped when the previous one was lost. */
  connectionFor(agent: string, sessionId: string): Promise<AgentConnection>;
  /** The session is binding to a connection: route its envelopes to it from now on. */
  markBound(session: Session): void;
  /** Throws when the client was disposed. */
  assertUsable(): void;
  /** Before each operation: takes, renews or checks the session's lease (when the client leases it); throws when it was lost. */
  checkLease(session: Session): Promise<void>;
  /** Report a background failure. */
  reportError(error: DurableAgentError): void;
}

/**
 * A session: prompts, events, modes and permissions, bound to an agent session on the
 * runtime and re-bound automatically (by `session/load`, or a fresh agent session plus a
 * replay of recent history) whenever the runtime connection was lost.
 */
export class Session {
  private record: SessionRecord;
  private connection: AgentConnection | undefined;
  private pendingReplay = false;
  private busy = false;
  private binding: Promise<void> | undefined;
  private readonly listeners = new Set<SessionEventListener>();
  private readonly errorListeners = new Set<(error: DurableAgentError) => void>();
  /** @internal */
  readonly permissions = new PermissionDesk();
  /** How the session was last attached to an agent session; undefined until this client attached it. */
  lastRestoration: SessionRestoration | undefined;

  /** @internal The session's recorder (its events' way to the store). */
  readonly recorder: SessionRecorder;

  /** Created by `SandboxAgent`; use its `createSession`, `resumeSession` or `getSession`. */
  constructor(
    private readonly host: SessionHost,
    record: SessionRecord,
    recorder: SessionRecorder,
  ) {
    this.record = record;
    this.recorder = recorder;
  }

  /** The app's session id. */
  get id(): string {
    return this.record.id;
  }
  /** Agent id on the runtime. */
  get agent(): string {
    return this.record.agent;
  }
  /** The agent's current session id. */
  get agentSessionId(): string {
    return this.record.agentSessionId;
  }
  /** Id of the runtime connection the session was last bound to. */
  get lastConnectionId(): string {
    return this.record.lastConnectionId;
  }
  /** Creation time, epoch ms. */
  get createdAt(): number {
    return this.record.createdAt;
  }
  /** When the session was destroyed, if it was. */
  get destroyedAt(): number | undefined {
    return this.record.destroyedAt;
  }
  /** Modes the agent reported, if any. */
  get modes(): SessionModeState | null | undefined {
    return this.record.modes;
  }
  /** Configuration options the agent reported, if any. */
  get configOptions(): SessionConfigOption[] | undefined {
    return this.record.configOptions;
  }

  /** A copy of the stored record. */
  toRecord(): SessionRecord {
    return structuredClone(this.record);
  }

  /** Subscribe to the session's events (each envelope, both directions, as recorded). Returns the unsubscribe function. */
  onEvent(listener: SessionEventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Subscribe to background failures of this session (storing events failed after retries). */
  onError(listener: (error: DurableAgentError) => void): () => void {
    this.errorListeners.add(listener);
    return () => void this.errorListeners.delete(listener);
  }

  /**
   * Subscribe to the agent's permission requests; answer with {@link Session.respondPermission}.
   * While nobody is subscribed, requests are answered "cancelled" at once.
   */
  onPermissionRequest(listener: PermissionRequestListener): () => void {
    return this.permissions.subscribe(listener);
  }

  /** Answer a permission request: allow once, allow always, or reject. */
  async respondPermission(permissionId: string, reply: PermissionReply): Promise<void> {
    this.permissions.respond(permissionId, reply);
  }

  /** Answer a permission request with a raw ACP response. */
  async rawRespondPermission(permissionId: string, response: RequestPermissionResponse): Promise<void> {
    this.permissions.respondRaw(permissionId, response);
  }

  /** One page of this session's stored events. */
  getEvents(request: Omit<ListEventsRequest, "sessionId"> = {}): Promise<ListPage<SessionEvent>> {
    return this.host.persist.listEvents({ ...request, sessionId: this.id });
  }

  /**
   * Send a prompt and wait for the turn to end. Resolves once every event of the turn is
   * stored. If the runtime connection was lost since the last call, the session is
   * restored first; a prompt that provably never reached the runtime is resent once on the
   * restored connection.
   *
   * `timeoutMs` (default: the client's `promptTimeoutMs`) and `signal` bound the whole call:
   * restoring the session, the turn, and storing its events. At the deadline the prompt
   * rejects at once with `RuntimeTimeoutError` (or `AbortedError`; or
   * `PersistenceTimeoutError` when only the store was late, the turn being done); the agent
   * is sent `session/cancel` in the background.
   */
  async prompt(prompt: PromptInput, options: PromptOptions = {}): Promise<PromptResponse> {
    this.assertAlive();
    const blocks = toPromptBlocks(prompt);
    if (this.busy) throw new SessionBusyError(this.id);
    this.busy = true;
    const deadline = new Deadline({
      timeoutMs: options.timeoutMs ?? this.host.options.promptTimeoutMs,
      signal: options.signal,
      what: `The prompt of session "${this.id}"`,
    });
    try {
      for (let attempt = 0; ; attempt++) {
        const connection = await deadline.race(this.bound());
        const replay = this.pendingReplay ? await deadline.race(this.buildReplay()) : null;
        let response: PromptResponse;
        try {
          response = await connection.request<PromptResponse>(
            "session/prompt",
            { sessionId: this.record.agentSessionId, prompt: withReplay(blocks, replay) },
            { signal: deadline.signal },
          );
        } catch (error) {
          if (error instanceof RuntimeLostError && error.undelivered && attempt === 0 && !deadline.expired) continue;
          if (deadline.expired) {
            // Stop the turn without making the caller wait for the runtime to take the cancel.
            void connection.notify("session/cancel", { sessionId: this.record.agentSessionId }).catch(() => undefined);
            void this.recorder.flush().catch((flushError: DurableAgentError) => this.reportError(flushError));
            throw deadline.error!;
          }
          await deadline.settle(this.recorder.flush().catch((flushError: DurableAgentError) => this.reportError(flushError)));
          throw error;
        }
        if (this.pendingReplay && this.lastRestoration) this.lastRestoration.replay = replay;
        this.pendingReplay = false;
        await deadline.race(
          this.recorder.flush(),
          (late) => new PersistenceTimeoutError(this.id, this.recorder.pending, late, response),
        );
        // The turn's events are stored: copy the agent's own state out in the background.
        this.host.agentState.afterTurn(this.agentStateSubject());
        return response;
      }
    } finally {
      deadline.dispose();
      this.busy = false;
    }
  }

  /** Ask the agent to stop the running turn (`session/cancel`); the prompt resolves with stopReason "cancelled". */
  async cancel(): Promise<void> {
    const connection = this.connection;
    if (!connection?.isOpen) return;
    // A connection lost meanwhile has already ended the turn (the prompt rejects with RuntimeLostError).
    await connection.notify("session/cancel", { sessionId: this.record.agentSessionId }).catch((error: unknown) => {
      if (!(error instanceof RuntimeLostError)) throw error;
    });
  }

  /**
   * Switch the agent's mode (`session/set_mode`, or the mode config option when the agent
   * has no modes method) and store it in the record. A mode the agent does not offer is
   * refused with `UnsupportedSessionValueError` before anything is sent. Kept across
   * restorations.
   */
  async setMode(modeId: string): Promise<SetSessionModeResponse | void> {
    this.assertAlive();
    const mode = requireText("modeId", modeId);
    await this.ready();
    const offered = modeIds(this.record.modes);
    const modeOption = configOptionByCategory(this.record.configOptions, "mode");
    if (offered.length === 0 && modeOption) return void (await this.setConfigOption(modeOption.id, mode));
    if (offered.length > 0 && !offered.includes(mode)) throw new UnsupportedSessionValueError(this.id, "mode", "mode", mode, offered);
    const response = await this.request<SetSessionModeResponse | null>("session/set_mode", { modeId: mode });
    this.record = { ...this.record, modes: withCurrentMode(this.record.modes, mode) };
    if (modeOption) this.record.configOptions = withConfigValue(this.record.configOptions, modeOption.id, mode);
    await this.save();
    return response ?? undefined;
  }

  /**
   * Set a configuration option (`session/set_config_option`) and store the agent's answer.
   * An unknown option or value is refused (`UnsupportedSessionConfigOptionError`,
   * `UnsupportedSessionValueError`) before anything is sent. Kept across restorations.
   */
  async setConfigOption(configId: string, value: string): Promise<SetSessionConfigOptionResponse> {
    this.assertAlive();
    const id = requireText("configId", configId);
    const wanted = requireText("value", value);
    const options = await this.getConfigOptions();
    const option = configOptionById(options, id);
    if (!option) throw new UnsupportedSessionConfigOptionError(this.id, id, options.map((o) => o.id));
    const typed: ConfigValue = option.type === "boolean" ? wanted === "true" : wanted;
    if (!allowsValue(option, typed)) {
      throw new UnsupportedSessionValueError(this.id, option.category ?? "uncategorized", option.id, wanted, allowedValues(option));
    }
    const response = await this.request<SetSessionConfigOptionResponse | null>("session/set_config_option", { configId: id, value: typed });
    const configOptions = response?.configOptions ?? withConfigValue(this.record.configOptions, id, typed) ?? [];
    this.record = { ...this.record, configOptions };
    if (option.category === "mode" && typeof typed === "string") this.record.modes = withCurrentMode(this.record.modes, typed);
    await this.save();
    return response ?? { configOptions };
  }

  /** Choose the agent's model (the config option of category `"model"`). */
  setModel(model: string): Promise<SetSessionConfigOptionResponse> {
    return this.setCategory("model", model);
  }

  /** Choose how much the agent thinks (the config option of category `"thought_level"`). */
  setThoughtLevel(thoughtLevel: string): Promise<SetSessionConfigOptionResponse> {
    return this.setCategory("thought_level", thoughtLevel);
  }

  /** The agent's configuration options for this session, with their current values (binds the session first). */
  async getConfigOptions(): Promise<SessionConfigOption[]> {
    this.assertAlive();
    await this.ready();
    return structuredClone(this.record.configOptions ?? []);
  }

  /** The agent's modes for this session, with the current one (binds the session first); null when it has none. */
  async getModes(): Promise<SessionModeState | null> {
    this.assertAlive();
    await this.ready();
    return structuredClone(this.record.modes ?? null);
  }

  /**
   * Copy the agent's own session state (e.g. Claude Code's transcript) out of the sandbox now,
   * after any snapshot still running; the client also does this by itself after every turn.
   * Resolves with what was copied, or undefined when snapshots do not cover this session (see
   * `sdk.stats().agentState`); rejects with `AgentStateSnapshotError` or `AgentStateTooLargeError`.
   */
  snapshotAgentState(): Promise<AgentStateSnapshotResult | undefined> {
    this.assertAlive();
    return this.host.agentState.snapshotNow(this.agentStateSubject());
  }

  /** Re-read the record from the store (another client may have changed it). */
  async refresh(): Promise<Session> {
    const latest = await this.host.persist.getSession(this.id);
    if (!latest) throw new SessionNotFoundError(this.id);
    this.apply(latest);
    return this;
  }

  /** Replace the session's record with `record` (same id); what `refresh` does with the stored one. */
  apply(record: SessionRecord): void {
    if (record.id !== this.id) throw new InvalidOptionsError(`apply: record "${record.id}" is not session "${this.id}"`);
    this.record = structuredClone(record);
  }

  /**
   * Send any ACP method about this session (its `sessionId` is filled in), restoring the
   * session first when needed; recorded like every other envelope. With
   * `{ notification: true }` it is sent as a notification and resolves once sent.
   */
  async rawSend(method: string, params: Record<string, unknown> = {}, options: SessionSendOptions = {}): Promise<unknown> {
    this.assertAlive();
    requireText("method", method);
    if (options.notification) {
      const connection = await this.ready();
      await connection.notify(method, { ...params, sessionId: this.record.agentSessionId });
      return undefined;
    }
    return this.request<unknown>(method, params);
  }

  private async setCategory(category: string, value: string): Promise<SetSessionConfigOptionResponse> {
    this.assertAlive();
    const options = await this.getConfigOptions();
    const option = configOptionByCategory(options, category);
    if (!option) throw new UnsupportedSessionCategoryError(this.id, category, configCategories(options));
    return this.setConfigOption(option.id, value);
  }

  /** The session's connection within the client's request deadline (restoring it when needed). */
  private async ready(): Promise<AgentConnection> {
    const deadline = new Deadline({ timeoutMs: this.host.options.requestTimeoutMs, what: `Binding session "${this.id}"` });
    try {
      return await deadline.race(this.bound());
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Send a request about this session, restoring the session first when needed; the whole
   * call is bounded by the client's `requestTimeoutMs`. `params.sessionId` is filled in.
   */
  private async request<T>(method: string, params: Record<string, unknown>): Promise<T> {
    const deadline = new Deadline({ timeoutMs: this.host.options.requestTimeoutMs, what: `"${method}" of session "${this.id}"` });
    try {
      const connection = await deadline.race(this.bound());
      try {
        return await connection.request<T>(method, { ...params, sessionId: this.record.agentSessionId }, { signal: deadline.signal });
      } catch (error) {
        throw deadline.expired ? deadline.error! : error;
      }
    } finally {
      deadline.dispose();
    }
  }

  /** @internal Record an envelope and hand it to listeners. */
  emit(event: SessionEvent): void {
    if (event.sender === "agent") this.follow(event);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the session goes on.
      }
    }
  }

  /** @internal */
  reportError(error: DurableAgentError): void {
    for (const listener of this.errorListeners) {
      try {
        listener(error);
      } catch {
        // ignore
      }
    }
    this.host.reportError(error);
  }

  /** Keep the record in step with mode and config changes the agent announces itself. */
  private follow(event: SessionEvent): void {
    const change = stateChangeOf(event.payload, this.record.agentSessionId);
    if (!change) return;
    if (change.modeId !== undefined) this.record = { ...this.record, modes: withCurrentMode(this.record.modes, change.modeId) };
    if (change.configOptions !== undefined) this.record = { ...this.record, configOptions: change.configOptions };
    void this.save().catch((error: unknown) => {
      // A lost lease was reported when it was lost.
      if ((error as DurableAgentError).code !== "session.lease_lost") this.reportError(new PersistenceFailedError(this.id, 0, error));
    });
  }

  /** @internal Attach to a fresh agent session (used by `createSession`). */
  async attachNew(): Promise<void> {
    this.host.markBound(this);
    await this.recorder.ready();
    const connection = await this.host.connectionFor(this.agent, this.id);
    await startAgentSession(this.restorationTarget(), connection, "new");
  }

  /** @internal The session's connection, restoring the session first when it is not bound to a live one. */
  async bound(): Promise<AgentConnection> {
    this.host.assertUsable();
    await this.host.checkLease(this);
    while (!this.connection?.isOpen) {
      this.binding ??= this.restore().finally(() => (this.binding = undefined));
      await this.binding;
    }
    return this.connection;
  }

  /** @internal Mark destroyed and forget the binding. */
  markDestroyed(record: SessionRecord): void {
    this.record = record;
    this.permissions.cancelAll();
    if (this.connection) this.connection.unbind(this.record.agentSessionId);
    this.connection = undefined;
  }

  private async restore(): Promise<void> {
    this.host.markBound(this);
    await this.recorder.ready();
    const connection = await this.host.connectionFor(this.agent, this.id);
    await restoreSession(this.restorationTarget(), connection);
  }

  /** This session as restoration (src/client/restoration.ts) reads and changes it. */
  private restorationTarget(): RestorationTarget {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the accessors below need the session
    const session = this;
    return {
      id: this.id,
      options: this.host.options,
      agentState: this.host.agentState,
      get record() {
        return session.record;
      },
      set record(record: SessionRecord) {
        session.record = record;
      },
      get lastRestoration() {
        return session.lastRestoration;
      },
      attached: (connection, restoration, pendingReplay) => {
        this.connection = connection;
        this.lastRestoration = restoration;
        this.pendingReplay = pendingReplay;
      },
      agentStateSubject: () => this.agentStateSubject(),
      save: () => this.save(),
      reportError: (error) => this.reportError(error),
    };
  }

  /** This session, as agent state snapshots see it. */
  private agentStateSubject(): AgentStateSubject {
    return {
      sessionId: this.id,
      agent: this.agent,
      agentSessionId: this.record.agentSessionId,
      cwd: this.record.sessionInit?.cwd ?? defaultCwd(),
      report: (error) => this.reportError(error),
    };
  }

  private async buildReplay(): Promise<Replay | null> {
    await this.recorder.flush();
    return loadReplay((limit) => listLatestEventsVia(this.host.persist, this.id, limit), {
      maxEvents: this.host.options.replayMaxEvents,
      maxChars: this.host.options.replayMaxChars,
    });
  }

  private async save(): Promise<void> {
    await this.recorder.writes.updateSession(this.record);
  }

  private assertAlive(): void {
    this.host.assertUsable();
    if (this.record.destroyedAt !== undefined) throw new SessionDestroyedError(this.id);
  }
}

/** `value` trimmed, or `InvalidOptionsError` when it is not a non-empty string. */
function requireText(name: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") throw new InvalidOptionsError(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value.trim();
}
