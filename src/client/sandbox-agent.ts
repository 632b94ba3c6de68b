import type {
  RequestPermissionResponse,
  SessionConfigOption,
  SessionModeState,
  SetSessionConfigOptionResponse,
  SetSessionModeResponse,
} from "@agentclientprotocol/sdk";
import type { DurableAgentError } from "../errors.js";
import { SessionRecorder } from "../history/recorder.js";
import { LifecycleInputError, retentionFailure } from "../lifecycle/errors.js";
import { forkSession as forkStoredSession, type ForkSessionOptions } from "../lifecycle/fork.js";
import { applyRetention, type ApplyRetentionOptions, type RetentionReport } from "../lifecycle/retention.js";
import type { RetentionPolicy } from "../lifecycle/retention-policy.js";
import { RetentionScheduler } from "../lifecycle/retention-scheduler.js";
import { driverCapabilities } from "../persist/capabilities.js";
import { UnsupportedCapabilityError } from "../persist/errors.js";
import { InMemorySessionPersistDriver } from "../persist/memory.js";
import type { ListEventsRequest, ListPage, ListPageRequest, SessionEvent, SessionPersistDriver, SessionRecord } from "../persist/types.js";
import type {
  SandboxAgentApi,
  AcpServerListResponse,
  AgentInfo,
  AgentInstallRequest,
  AgentInstallResponse,
  AgentListResponse,
  AgentQueryOptions,
  HealthResponse,
} from "../transport/sandbox-agent-api.js";
import { selectTransport } from "../transport/select.js";
import type { RuntimeTransport } from "../transport/types.js";
import { AgentStateLink } from "./agent-state-link.js";
import { ConnectionPool, type ClientStats } from "./connection-pool.js";
import { routeToSessions } from "./connection-routing.js";
import { callControlRoute } from "./control-routes.js";
import { ClientDisposal, type DisposeOptions } from "./disposal.js";
import {
  DisposedError,
  InvalidOptionsError,
  PermissionRequestNotFoundError,
  SessionDestroyedError,
  SessionExistsError,
  SessionNotFoundError,
} from "./errors.js";
import { checkFollowOptions } from "./follow-options.js";
import type { FollowSessionOptions, SessionFollower } from "./follower.js";
import { waitForHealth } from "./health-wait.js";
import { driverHasLeases, type LeaseKeeper } from "./lease-keeper.js";
import type { CallLeaseOption } from "./lease-options.js";
import { ListenersById } from "./listeners-by-id.js";
import { resolveOptions, type ResolvedOptions, type SandboxAgentConnectOptions } from "./options.js";
import type { PermissionReply, PermissionRequestListener } from "./permissions.js";
import { applyRequested, createNewSession, type SessionCreateRequest, type SessionCreationParts } from "./session-creation.js";
import { SessionLeases } from "./session-leases.js";
import { SessionRegistry } from "./session-registry.js";
import { Session, type SessionEventListener, type SessionHost, type SessionSendOptions } from "./session.js";

export type { DisposeOptions } from "./disposal.js";
export type { SessionCreateRequest } from "./session-creation.js";

/** Options of `resumeSession`. */
export interface SessionResumeOptions {
  /** Take the session's lease (`true` or options), or not (`false`); default: the client's `lease` option. See docs/leases.md. */
  lease?: CallLeaseOption;
}

/** Arguments of `resumeOrCreateSession`: as for `createSession`, with a required id. */
export interface SessionResumeOrCreateRequest extends SessionCreateRequest {
  /** The app's id for the session. */
  id: string;
}

/**
 * The client. Connects to an agent runtime, creates and resumes sessions, records every
 * envelope through the persistence driver, and restores sessions after runtime loss.
 *
 * @example
 * const sdk = await SandboxAgent.connect({ baseUrl, token, persist });
 * const session = await sdk.resumeOrCreateSession({ id: "ticket-42", agent: "claude" });
 * session.onEvent((event) => render(event));
 * await session.prompt([{ type: "text", text: "continue" }]);
 * await sdk.dispose();
 */
export class SandboxAgent {
  /** The store sessions and events go to. */
  readonly persist: SessionPersistDriver;
  /** The runtime link. */
  readonly transport: RuntimeTransport;
  private readonly resolved: ResolvedOptions;
  private readonly onErrorOption: ((error: DurableAgentError) => void) | undefined;
  private readonly pool: ConnectionPool;
  /** Listeners registered by session id. */
  private readonly byId = new ListenersById();
  private readonly sessions = new SessionRegistry();
  /** What `createSession` works on. */
  private readonly creation: SessionCreationParts;
  /** The shutdown (`dispose`). */
  private readonly disposal: ClientDisposal;
  private readonly host: SessionHost;
  /** The `retention` option's timer, when one was asked for. */
  private readonly retention: RetentionScheduler | undefined;
  /** Each session handle's lease keeper, and every lease this client holds. */
  private readonly leases: SessionLeases;
  /** Agent state snapshots (docs/agent-state.md). */
  private readonly agentState: AgentStateLink;

  /** Prefer {@link SandboxAgent.connect}, which also waits for the runtime to be healthy. */
  constructor(options: SandboxAgentConnectOptions) {
    this.resolved = resolveOptions(options);
    this.persist = options.persist ?? new InMemorySessionPersistDriver();
    if (this.resolved.lease.explicit && !driverHasLeases(this.persist)) throw new UnsupportedCapabilityError("acquireLease");
    this.leases = new SessionLeases(this.persist, this.resolved.lease, (session) => this.sessions.getBound(session.id) === session);
    this.onErrorOption = options.onError;
    this.retention = this.startRetention(options.retention);
    try {
      this.transport = selectTransport(options);
    } catch (error) {
      throw new InvalidOptionsError((error as Error).message);
    }
    this.agentState = new AgentStateLink({
      transport: this.transport,
      persist: this.persist,
      options: this.resolved.agentState,
      callTimeoutMs: this.resolved.requestTimeoutMs,
    });
    this.host = {
      persist: this.persist,
      agentState: this.agentState,
      options: this.resolved,
      connectionFor: (agent, sessionId) => {
        this.assertUsable();
        return this.pool.connectionFor(agent, sessionId);
      },
      markBound: (session) => this.sessions.markBound(session),
      assertUsable: () => this.assertUsable(),
      checkLease: (session) => this.leases.checkHandle(session),
      reportError: (error) => this.reportError(error),
    };
    const hooks = routeToSessions(this.sessions, (connection) => this.pool.forget(connection));
    this.pool = new ConnectionPool({ transport: this.transport, hooks, scope: this.resolved.connectionScope, requestTimeoutMs: this.resolved.requestTimeoutMs });
    this.creation = { persist: this.persist, sessions: this.sessions, leases: this.leases, pool: this.pool, track: (record, keeper) => this.track(record, keeper) };
    this.disposal = new ClientDisposal({ sessions: this.sessions, leases: this.leases, pool: this.pool, agentState: this.agentState, retention: this.retention });
  }

  /** Create a client and wait (up to `healthTimeoutMs`, default 30 s) until the runtime is healthy. */
  static async connect(options: SandboxAgentConnectOptions): Promise<SandboxAgent> {
    const client = new SandboxAgent(options);
    if (client.resolved.healthTimeoutMs !== undefined) await waitForHealth(client.transport, client.resolved.healthTimeoutMs, options.signal);
    return client;
  }

  /** Optional capabilities of the store, as detected. */
  get persistCapabilities(): string[] {
    return driverCapabilities(this.persist);
  }

  /**
   * Create a session on a fresh agent session. Rejects with `SessionExistsError` when the id is
   * taken, also by another client or process creating it at the same moment: the id is claimed
   * in the store (`insertSession`) before the runtime is asked for anything.
   */
  async createSession(request: SessionCreateRequest): Promise<Session> {
    this.assertUsable();
    return createNewSession(this.creation, request);
  }

  /**
   * Resume a stored session: rebind it to the runtime with `session/load` when the agent
   * supports it, otherwise on a fresh agent session whose next prompt carries a replay of
   * recent history. Works in a new process, on another machine, or after a runtime restart.
   *
   * With leasing (`options.lease`, or the client's `lease`), the session's lease is taken
   * first (or waited for), else `SessionLeasedError`; a handle whose lease was lost is
   * replaced by a fresh one read from the store.
   */
  async resumeSession(id: string, options: SessionResumeOptions = {}): Promise<Session> {
    this.assertUsable();
    let session = this.sessions.get(id);
    const stale = session && this.leases.keeperOf(session)?.state;
    if (session && (stale === "lost" || stale === "released")) {
      // Taken over by another client (or given back): what this handle knows may be stale. Start again from the store.
      this.forget(session);
      session = undefined;
    }
    if (!session) {
      const record = await this.persist.getSession(id);
      if (!record) throw new SessionNotFoundError(id);
      session = this.sessions.get(id) ?? this.track(record);
    }
    if (session.destroyedAt !== undefined) throw new SessionDestroyedError(id);
    const keeper = this.leases.keeperOf(session)!;
    const leased = await this.leases.acquire(keeper, options.lease);
    try {
      if (leased) await this.leases.readAfterLeasing(session);
      await session.bound();
    } catch (error) {
      // The caller gets no handle: the lease taken for it is not kept from other clients.
      if (leased) await this.leases.release(keeper);
      throw error;
    }
    return session;
  }

  /** Resume the session with `request.id`, or create it when the store has none. */
  async resumeOrCreateSession(request: SessionResumeOrCreateRequest): Promise<Session> {
    this.assertUsable();
    if (!this.sessions.get(request.id) && !(await this.persist.getSession(request.id))) {
      try {
        return await this.createSession(request);
      } catch (error) {
        // Another client or process created it meanwhile: resume theirs.
        if (!(error instanceof SessionExistsError)) throw error;
      }
    }
    const session = await this.resumeSession(request.id, { lease: request.lease });
    // As the reference client does: what the request asks for is applied to the resumed session too.
    await applyRequested(session, request);
    return session;
  }

  /** The session with this id (not yet bound to the runtime; it binds on first use), or null. */
  async getSession(id: string): Promise<Session | null> {
    this.assertUsable();
    const live = this.sessions.get(id);
    if (live) return live;
    const record = await this.persist.getSession(id);
    return record ? this.track(record) : null;
  }

  /** One page of stored sessions, by ascending creation time. */
  async listSessions(request?: ListPageRequest): Promise<ListPage<Session>> {
    this.assertUsable();
    const page = await this.persist.listSessions(request);
    return { items: page.items.map((record) => this.sessions.get(record.id) ?? this.track(record)), nextCursor: page.nextCursor };
  }

  /** One page of a session's stored events, by ascending `eventIndex`. */
  getEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    this.assertUsable();
    return this.persist.listEvents(request);
  }

  /**
   * Done with a session for now (it stays in the store, and any client may resume it): its
   * last events are stored, its lease (if any) is released so another client can take it at
   * once, its own runtime connection is closed, and this client forgets the handle.
   * Rejects with `PersistenceFailedError` (or `SessionLeaseLostError`) when its events could
   * not be stored; the handle is then kept, so a later `closeSession` can try again.
   */
  async closeSession(id: string): Promise<void> {
    this.assertUsable();
    const session = this.sessions.get(id);
    if (!session) return;
    const keeper = this.leases.keeperOf(session);
    if (keeper?.state === "lost") {
      this.forget(session);
      return;
    }
    try {
      await session.recorder.flush();
    } catch (error) {
      // Taken over meanwhile: nothing of it is this client's any more.
      if (keeper?.loss) this.forget(session);
      throw error;
    }
    this.sessions.delete(id);
    this.pool.release(session.agent, session.id);
    if (keeper) await this.leases.release(keeper);
  }

  /**
   * Watch a session without driving it: `options.onEvent` receives its stored events in
   * order, first those after `options.afterIndex`, then new ones as any client stores them
   * (the driver's live feed where it has one, e.g. PostgreSQL with `notify: true`; polling
   * otherwise). A follower never writes and never takes the lease; to drive the session
   * once its holder is gone, `follower.takeOver({ waitMs })`.
   */
  async followSession(id: string, options: FollowSessionOptions): Promise<SessionFollower> {
    this.assertUsable();
    checkFollowOptions(options);
    if (!(await this.persist.getSession(id))) throw new SessionNotFoundError(id);
    // Loaded on first use: apps that never follow a session never load the follower.
    const { followStoredSession } = await import("./follower.js");
    return followStoredSession(this.persist, id, options, (lease) => this.resumeSession(id, { lease }));
  }

  /** This client's lease holder id (`connect({ lease: { holder } })`, or a random id). */
  get leaseHolder(): string {
    return this.leases.holder;
  }

  /**
   * Fork a stored session: a new session (id `options.newId`, or a random UUID) whose history
   * is a copy of this one's up to `options.atEventIndex` (default: all of it), behind a
   * `_durable_agent/forked_from` marker. The parent is only read (when it is live here, what
   * it recorded is stored first). The fork has no agent session yet: its first use starts a
   * fresh one and replays the copied history. See docs/lifecycle.md.
   * @throws ForkSourceNotFoundError, ForkIndexOutOfRangeError, ForkTargetExistsError or
   * LifecycleInputError; nothing is written then.
   */
  async forkSession(id: string, options: Omit<ForkSessionOptions, "now"> = {}): Promise<Session> {
    this.assertUsable();
    await this.sessions.get(id)?.recorder.flush();
    const { record } = await forkStoredSession(this.persist, id, options);
    return this.sessions.get(record.id) ?? this.track(record);
  }

  /**
   * Apply a retention policy to the store now (see `applyRetention` and docs/lifecycle.md).
   * Sessions with a handle in this client are never touched.
   */
  async applyRetention(policy: RetentionPolicy, options: Omit<ApplyRetentionOptions, "skip"> = {}): Promise<RetentionReport> {
    this.assertUsable();
    return applyRetention(this.persist, policy, { ...options, skip: (sessionId) => this.sessions.get(sessionId) !== undefined });
  }

  /** The `retention` option's scheduler, skipping sessions with a handle here; failures go to `onError`. */
  private startRetention(option: SandboxAgentConnectOptions["retention"]): RetentionScheduler | undefined {
    if (option === undefined) return undefined;
    try {
      return new RetentionScheduler(this.persist, {
        ...option,
        skip: (sessionId) => this.sessions.get(sessionId) !== undefined,
        onError: (error) => this.reportError(retentionFailure(error)),
      });
    } catch (error) {
      if (error instanceof LifecycleInputError) throw new InvalidOptionsError(error.message);
      throw error;
    }
  }

  /** Mark a session destroyed (kept in the store with `destroyedAt`); it can no longer prompt. */
  async destroySession(id: string): Promise<Session> {
    this.assertUsable();
    const session = this.sessions.get(id) ?? (await this.getSession(id));
    if (!session) throw new SessionNotFoundError(id);
    if (session.destroyedAt !== undefined) return session;
    await session.recorder.flush().catch(() => undefined);
    const record: SessionRecord = { ...session.toRecord(), destroyedAt: Date.now() };
    await session.recorder.writes.updateSession(record);
    session.markDestroyed(record);
    this.pool.release(session.agent, session.id);
    await this.leases.releaseHandle(session);
    return session;
  }

  /**
   * Close every runtime connection (without waiting on the runtime's slow DELETE), settle
   * pending prompts with `DisposedError`, and store what was recorded. The store itself is
   * left open: it belongs to the caller.
   *
   * Resolves only when every recorded event is stored. Events the store did not take within
   * `timeoutMs` (default 5000) are handed to `onUnstoredEvents` when given (the client then
   * stops writing them; resolves once the callback has), otherwise `dispose` rejects with
   * {@link UnstoredEventsError} carrying them. Storing such an event again later is safe:
   * drivers ignore an event id they already hold.
   */
  async dispose(options: DisposeOptions = {}): Promise<void> {
    await this.disposal.run(options);
  }

  // Session methods by id, as the reference client has them. Each resolves the live handle
  // (resuming it from the store when needed) and returns it with the agent's answer.

  /** `session.setMode` by id. */
  async setSessionMode(sessionId: string, modeId: string): Promise<{ session: Session; response: SetSessionModeResponse | void }> {
    const session = await this.requireSession(sessionId);
    return { session, response: await session.setMode(modeId) };
  }

  /** `session.setConfigOption` by id. */
  async setSessionConfigOption(sessionId: string, configId: string, value: string): Promise<{ session: Session; response: SetSessionConfigOptionResponse }> {
    const session = await this.requireSession(sessionId);
    return { session, response: await session.setConfigOption(configId, value) };
  }

  /** `session.setModel` by id. */
  async setSessionModel(sessionId: string, model: string): Promise<{ session: Session; response: SetSessionConfigOptionResponse }> {
    const session = await this.requireSession(sessionId);
    return { session, response: await session.setModel(model) };
  }

  /** `session.setThoughtLevel` by id. */
  async setSessionThoughtLevel(sessionId: string, thoughtLevel: string): Promise<{ session: Session; response: SetSessionConfigOptionResponse }> {
    const session = await this.requireSession(sessionId);
    return { session, response: await session.setThoughtLevel(thoughtLevel) };
  }

  /** `session.getConfigOptions` by id. */
  async getSessionConfigOptions(sessionId: string): Promise<SessionConfigOption[]> {
    return (await this.requireSession(sessionId)).getConfigOptions();
  }

  /** `session.getModes` by id. */
  async getSessionModes(sessionId: string): Promise<SessionModeState | null> {
    return (await this.requireSession(sessionId)).getModes();
  }

  /** `session.rawSend` by id. */
  async rawSendSessionMethod(
    sessionId: string,
    method: string,
    params: Record<string, unknown> = {},
    options: SessionSendOptions = {},
  ): Promise<{ session: Session; response: unknown }> {
    const session = await this.requireSession(sessionId);
    return { session, response: await session.rawSend(method, params, options) };
  }

  /** Listen to a session's events by id, also before its handle exists (it neither loads nor binds the session). */
  onSessionEvent(sessionId: string, listener: SessionEventListener): () => void {
    this.assertUsable();
    return this.byId.onEvent(sessionId, listener);
  }

  /** Listen to a session's permission requests by id, also before its handle exists. */
  onPermissionRequest(sessionId: string, listener: PermissionRequestListener): () => void {
    this.assertUsable();
    return this.byId.onPermissionRequest(sessionId, listener, this.sessions.get(sessionId));
  }

  /** Answer a permission request of any session by its id. */
  async respondPermission(permissionId: string, reply: PermissionReply): Promise<void> {
    await this.sessionAsking(permissionId).respondPermission(permissionId, reply);
  }

  /** Answer a permission request of any session with a raw ACP response. */
  async rawRespondPermission(permissionId: string, response: RequestPermissionResponse): Promise<void> {
    await this.sessionAsking(permissionId).rawRespondPermission(permissionId, response);
  }

  // The runtime's control routes (sandbox-agent only), each within `requestTimeoutMs`.

  /** `GET /v1/health` of the runtime. */
  getHealth(): Promise<HealthResponse> {
    return this.control((api, signal) => api.getHealth(signal));
  }

  /** The agents the runtime knows (`GET /v1/agents`). */
  listAgents(options?: AgentQueryOptions): Promise<AgentListResponse> {
    return this.control((api, signal) => api.listAgents(options, signal));
  }

  /** One agent (`GET /v1/agents/{agent}`); `{ config: true }` adds versions and config options. */
  getAgent(agent: string, options?: AgentQueryOptions): Promise<AgentInfo> {
    return this.control((api, signal) => api.getAgent(agent, options, signal));
  }

  /** Install an agent in the runtime ahead of first use (`POST /v1/agents/{agent}/install`). */
  installAgent(agent: string, request?: AgentInstallRequest): Promise<AgentInstallResponse> {
    return this.control((api, signal) => api.installAgent(agent, request, signal));
  }

  /** The runtime's live ACP server instances (`GET /v1/acp`). */
  listAcpServers(): Promise<AcpServerListResponse> {
    return this.control((api, signal) => api.listAcpServers(signal));
  }

  /** A control route call within `requestTimeoutMs` (async: a disposed client rejects, never throws). */
  private async control<T>(call: (api: SandboxAgentApi, signal: AbortSignal) => Promise<T>): Promise<T> {
    this.assertUsable();
    return callControlRoute(this.transport, this.resolved.requestTimeoutMs, call);
  }

  private async requireSession(sessionId: string): Promise<Session> {
    this.assertUsable();
    const session = await this.getSession(sessionId);
    if (!session) throw new SessionNotFoundError(sessionId);
    return session;
  }

  private sessionAsking(permissionId: string): Session {
    this.assertUsable();
    for (const session of this.sessions.boundSessions()) if (session.permissions.has(permissionId)) return session;
    throw new PermissionRequestNotFoundError(permissionId);
  }

  /** Drop a handle: no more routing to it, its connection (of its own) closed, its unstored events dropped. */
  private forget(session: Session): void {
    this.sessions.delete(session.id);
    this.pool.release(session.agent, session.id);
    session.recorder.abandon();
  }

  /** Make the handle of a stored record: its recorder (events to its and by-id listeners), its lease keeper, registered idle. */
  private track(record: SessionRecord, leaseKeeper?: LeaseKeeper): Session {
    let session: Session | undefined;
    const keeper = leaseKeeper ?? this.leases.keeper(record.id);
    const recorder = new SessionRecorder(record.id, {
      driver: this.persist,
      writes: keeper.writePort(),
      onEvent: (event) => {
        session?.emit(event);
        this.byId.emit(event);
      },
      onError: (error) => session?.reportError(error),
      redact: this.resolved.redact,
      onRedactionError: (error) => session?.reportError(error),
    });
    session = new Session(this.host, record, recorder);
    this.leases.attach(session, keeper);
    this.byId.attach(session);
    this.sessions.addIdle(session);
    return session;
  }

  /**
   * Counters of the runtime connections' event streams since the client was created:
   * reconnects, gaps in a stream the runtime refilled (`gapsHealed`), and gaps it could not,
   * with the messages lost in them (each also recorded as a marker and reported as an
   * `EventsLostError`). Transports without event ids report zeros. `agentState` tells whether
   * agent state snapshots run here (and why not), and what they copied.
   */
  stats(): ClientStats {
    return { ...this.pool.stats(), agentState: this.agentState.stats() };
  }

  private assertUsable(): void {
    if (this.disposal.started) throw new DisposedError();
  }

  private reportError(error: DurableAgentError): void {
    try {
      this.onErrorOption?.(error);
    } catch {
      // The app's handler failing must not break the client.
    }
  }
}

