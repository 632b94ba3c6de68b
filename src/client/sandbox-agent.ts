import type { NewSessionRequest } from "@agentclientprotocol/sdk";
import type { DurableAgentError } from "../errors.js";
import { SessionRecorder } from "../history/recorder.js";
import { deleteSessionVia, driverCapabilities, insertSessionVia } from "../persist/capabilities.js";
import { InMemorySessionPersistDriver } from "../persist/memory.js";
import type { ListEventsRequest, ListPage, ListPageRequest, SessionEvent, SessionPersistDriver, SessionRecord } from "../persist/types.js";
import { AbortedError, AuthenticationError, EventsLostError, RuntimeLostError, RuntimeUnavailableError } from "../transport/errors.js";
import { selectTransport } from "../transport/select.js";
import type { EventStreamStats } from "../transport/sandbox-agent-events.js";
import type { RuntimeTransport } from "../transport/types.js";
import { AgentConnection, type AgentConnectionHooks } from "./agent-connection.js";
import { Deadline } from "./deadline.js";
import {
  DisposedError,
  InvalidOptionsError,
  SessionDestroyedError,
  SessionExistsError,
  SessionNotFoundError,
  UnstoredEventsError,
} from "./errors.js";
import { resolveOptions, type ResolvedOptions, type SandboxAgentConnectOptions } from "./options.js";
import { SessionRegistry } from "./session-registry.js";
import { defaultCwd, Session, type SessionHost } from "./session.js";

/** Arguments of `createSession`. */
export interface SessionCreateRequest {
  /** The app's id for the session (default: a random UUID). */
  id?: string;
  /** Agent id on the runtime, e.g. `"claude"`. */
  agent: string;
  /** Shorthand for `sessionInit.cwd`; ignored when `sessionInit` is given. */
  cwd?: string;
  /** The full ACP `session/new` params (default: `{ cwd, mcpServers: [] }`). */
  sessionInit?: Omit<NewSessionRequest, "_meta">;
  /** A mode to switch to right after creation. */
  mode?: string;
}

/** Arguments of `resumeOrCreateSession`: as for `createSession`, with a required id. */
export interface SessionResumeOrCreateRequest extends SessionCreateRequest {
  /** The app's id for the session. */
  id: string;
}

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

/** Counters of the client's runtime event streams; see {@link SandboxAgent.stats}. */
export interface ClientStats {
  /** Event streams re-opened with `Last-Event-ID` (after a gap or a broken stream). */
  streamReconnects: number;
  /** Gaps in an event stream the runtime refilled from its buffer: nothing was lost. */
  gapsHealed: number;
  /** Gaps it could not refill. */
  gapsLost: number;
  /** Messages lost in those gaps. */
  eventsLost: number;
}

function addStats(total: ClientStats, stats: EventStreamStats | undefined): void {
  if (!stats) return;
  total.streamReconnects += stats.reconnects;
  total.gapsHealed += stats.gapsHealed;
  total.gapsLost += stats.gapsLost;
  total.eventsLost += stats.eventsLost;
}

const HEALTH_POLL_MS = 100;
const DISPOSE_FLUSH_MS = 5_000;

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
  private readonly connections = new Map<string, Promise<AgentConnection>>();
  /** The pool key of each open connection. */
  private readonly connectionKeys = new Map<AgentConnection, string>();
  /** Stream counters of connections that ended. */
  private readonly retiredStats: ClientStats = { streamReconnects: 0, gapsHealed: 0, gapsLost: 0, eventsLost: 0 };
  private readonly sessions = new SessionRegistry();
  private disposed = false;
  /** The first `dispose()`'s closing of the connections. */
  private closing: Promise<void> | undefined;
  private readonly host: SessionHost;
  private readonly hooks: AgentConnectionHooks;

  /** Prefer {@link SandboxAgent.connect}, which also waits for the runtime to be healthy. */
  constructor(options: SandboxAgentConnectOptions) {
    this.resolved = resolveOptions(options);
    this.persist = options.persist ?? new InMemorySessionPersistDriver();
    this.onErrorOption = options.onError;
    try {
      this.transport = selectTransport(options);
    } catch (error) {
      throw new InvalidOptionsError((error as Error).message);
    }
    this.host = {
      persist: this.persist,
      options: this.resolved,
      connectionFor: (agent, sessionId) => this.connectionFor(agent, sessionId),
      markBound: (session) => this.sessions.markBound(session),
      assertUsable: () => this.assertUsable(),
      reportError: (error) => this.reportError(error),
    };
    this.hooks = {
      observe: (sessionId, sender, payload, connectionId) => {
        const session = this.sessions.getBound(sessionId);
        if (session?.recorder.isReady) session.recorder.record({ connectionId, sender, payload });
      },
      requestPermission: (sessionId, request, signal) => {
        const session = this.sessions.getBound(sessionId);
        return session ? session.permissions.receive(sessionId, request, signal) : Promise.resolve({ outcome: { outcome: "cancelled" } });
      },
      lost: (connection, error) => {
        this.forget(connection);
        // Messages the runtime skipped are gone: each session that may have lost some is told.
        if (error instanceof EventsLostError) for (const id of connection.boundSessionIds()) this.sessions.getBound(id)?.reportError(error);
      },
    };
  }

  /** Create a client and wait (up to `healthTimeoutMs`, default 30 s) until the runtime is healthy. */
  static async connect(options: SandboxAgentConnectOptions): Promise<SandboxAgent> {
    const client = new SandboxAgent(options);
    if (client.resolved.healthTimeoutMs !== undefined) await client.waitForHealth(client.resolved.healthTimeoutMs, options.signal);
    return client;
  }

  /** Optional capabilities of the store, as detected. */
  get persistCapabilities(): string[] {
    return driverCapabilities(this.persist);
  }

  /** Poll `checkHealth` until it passes; each attempt and each pause is cut short at the deadline. */
  private async waitForHealth(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = new Deadline({ timeoutMs, signal, what: "connect" });
    let lastError: unknown;
    try {
      for (;;) {
        try {
          await deadline.race(this.transport.checkHealth(deadline.signal));
          return;
        } catch (error) {
          if (deadline.expired) break;
          if (error instanceof AuthenticationError || error instanceof AbortedError) throw error;
          lastError = error;
        }
        await deadline.settle(new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS)));
      }
    } finally {
      deadline.dispose();
    }
    if (deadline.error instanceof AbortedError) {
      throw new AbortedError("connect was aborted while waiting for the runtime", { cause: signal?.reason });
    }
    throw new RuntimeUnavailableError(
      `The runtime at ${this.transport.target} was not healthy within ${timeoutMs} ms: ${(lastError as Error | undefined)?.message ?? "no answer"}`,
      { cause: lastError },
    );
  }

  /**
   * Create a session on a fresh agent session. Rejects with `SessionExistsError` when the id is
   * taken, also by another client or process creating it at the same moment: the id is claimed
   * in the store (`insertSession`) before the runtime is asked for anything.
   */
  async createSession(request: SessionCreateRequest): Promise<Session> {
    this.assertUsable();
    if (!request || typeof request.agent !== "string" || request.agent === "") {
      throw new InvalidOptionsError("createSession needs an agent id");
    }
    const id = request.id ?? crypto.randomUUID();
    if (this.sessions.get(id)) throw new SessionExistsError(id);
    const record: SessionRecord = {
      id,
      agent: request.agent,
      agentSessionId: "",
      lastConnectionId: "",
      createdAt: Date.now(),
      sessionInit: request.sessionInit ?? { cwd: request.cwd ?? defaultCwd(), mcpServers: [] },
    };
    // Claim the id in the store before anything reaches the runtime: of several clients or
    // processes creating one id, the store lets exactly one win (atomic with insertSession).
    if (!(await insertSessionVia(this.persist, record))) throw new SessionExistsError(id);
    const session = this.track(record);
    try {
      await session.attachNew();
      if (request.mode) await session.setMode(request.mode);
      await session.recorder.flush();
    } catch (error) {
      this.sessions.delete(id);
      this.releaseConnection(session);
      // Leave nothing of a session that never came to be (its claim never bound to an agent
      // session), where the store allows it.
      if (!(await this.persist.getSession(id).catch(() => undefined))?.agentSessionId) {
        await session.recorder.flush().catch(() => undefined);
        await deleteSessionVia(this.persist, id).catch(() => undefined);
      }
      throw error;
    }
    return session;
  }

  /**
   * Resume a stored session: rebind it to the runtime with `session/load` when the agent
   * supports it, otherwise on a fresh agent session whose next prompt carries a replay of
   * recent history. Works in a new process, on another machine, or after a runtime restart.
   */
  async resumeSession(id: string): Promise<Session> {
    this.assertUsable();
    let session = this.sessions.get(id);
    if (!session) {
      const record = await this.persist.getSession(id);
      if (!record) throw new SessionNotFoundError(id);
      session = this.sessions.get(id) ?? this.track(record);
    }
    if (session.destroyedAt !== undefined) throw new SessionDestroyedError(id);
    await session.bound();
    return session;
  }

  /** Resume the session with `request.id`, or create it when the store has none. */
  async resumeOrCreateSession(request: SessionResumeOrCreateRequest): Promise<Session> {
    this.assertUsable();
    if (this.sessions.get(request.id) || (await this.persist.getSession(request.id))) return this.resumeSession(request.id);
    try {
      return await this.createSession(request);
    } catch (error) {
      // Another client or process created it meanwhile: resume theirs.
      if (error instanceof SessionExistsError) return this.resumeSession(request.id);
      throw error;
    }
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

  /** Mark a session destroyed (kept in the store with `destroyedAt`); it can no longer prompt. */
  async destroySession(id: string): Promise<Session> {
    this.assertUsable();
    const session = this.sessions.get(id) ?? (await this.getSession(id));
    if (!session) throw new SessionNotFoundError(id);
    if (session.destroyedAt !== undefined) return session;
    await session.recorder.flush().catch(() => undefined);
    const record: SessionRecord = { ...session.toRecord(), destroyedAt: Date.now() };
    await this.persist.updateSession(record);
    session.markDestroyed(record);
    this.releaseConnection(session);
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
    const deadline = new Deadline({ timeoutMs: options.timeoutMs ?? DISPOSE_FLUSH_MS, what: "dispose" });
    try {
      // The first call closes the connections; every call (also a later one) then waits for
      // the store and says what it could not take.
      if (!this.disposed) {
        this.disposed = true;
        this.closing = this.closeConnections();
      }
      await deadline.settle(this.closing!);
      const sessions = [...this.sessions.boundSessions()];
      await deadline.settle(Promise.all(sessions.map((session) => session.recorder.flush().catch(() => undefined))));
      const unstored = sessions.filter((session) => session.recorder.pending > 0);
      if (unstored.length === 0) return;
      if (options.onUnstoredEvents) {
        const events = unstored.flatMap((session) => session.recorder.abandon());
        try {
          await options.onUnstoredEvents(events);
        } catch (error) {
          throw new UnstoredEventsError(events, error);
        }
        return;
      }
      throw new UnstoredEventsError(unstored.flatMap((session) => session.recorder.unstored()));
    } finally {
      deadline.dispose();
    }
  }

  /** Close every connection; pending prompts settle with `DisposedError`. Never waits on the runtime's DELETE. */
  private async closeConnections(): Promise<void> {
    const disposed = new DisposedError();
    for (const session of this.sessions.boundSessions()) session.permissions.cancelAll();
    const closing = [...this.connections.values()].map((pending) =>
      pending.then((connection) => connection.close(disposed)).catch(() => undefined),
    );
    this.connections.clear();
    await Promise.all(closing);
    for (const connection of [...this.connectionKeys.keys()]) this.forget(connection);
  }

  private track(record: SessionRecord): Session {
    let session: Session | undefined;
    const recorder = new SessionRecorder(record.id, {
      driver: this.persist,
      onEvent: (event) => session?.emit(event),
      onError: (error) => session?.reportError(error),
    });
    session = new Session(this.host, record, recorder);
    this.sessions.addIdle(session);
    return session;
  }

  /** The key of the connection a session uses: its own, or its agent's (`connectionScope`). */
  private connectionKey(agent: string, sessionId: string): string {
    return this.resolved.connectionScope === "session" ? `session:${sessionId}` : `agent:${agent}`;
  }

  private connectionFor(agent: string, sessionId: string): Promise<AgentConnection> {
    this.assertUsable();
    const key = this.connectionKey(agent, sessionId);
    const existing = this.connections.get(key);
    if (existing) {
      return existing.then((connection) => {
        if (connection.isOpen) return connection;
        this.forget(connection);
        return this.connectionFor(agent, sessionId);
      });
    }
    const opening = AgentConnection.open(this.transport, agent, this.hooks, { timeoutMs: this.resolved.requestTimeoutMs }).then(
      (connection) => {
        this.connectionKeys.set(connection, key);
        return connection;
      },
      (error: unknown) => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
        // A channel that died while bootstrapping means the runtime is not there.
        if (error instanceof RuntimeLostError) {
          throw new RuntimeUnavailableError(`Cannot open a connection to agent "${agent}" at ${this.transport.target}: ${error.message}`, {
            cause: error,
          });
        }
        throw error;
      },
    );
    this.connections.set(key, opening);
    return opening;
  }

  /** Drop a connection that ended from the pool, keeping its stream counters. */
  private forget(connection: AgentConnection): void {
    const key = this.connectionKeys.get(connection);
    if (key === undefined) return;
    this.connectionKeys.delete(connection);
    addStats(this.retiredStats, connection.streamStats);
    void this.connections.get(key)?.then(
      (current) => current === connection && this.connections.delete(key),
      () => undefined,
    );
  }

  /** Close the connection of a session that no longer needs it (with `connectionScope: "session"`). */
  private releaseConnection(session: Session): void {
    if (this.resolved.connectionScope !== "session") return;
    const pending = this.connections.get(this.connectionKey(session.agent, session.id));
    if (!pending) return;
    void pending.then(
      (connection) => {
        this.forget(connection);
        return connection.close();
      },
      () => undefined,
    );
  }

  /**
   * Counters of the runtime connections' event streams since the client was created:
   * reconnects, gaps in a stream the runtime refilled (`gapsHealed`), and gaps it could not,
   * with the messages lost in them (each also recorded as a marker and reported as an
   * `EventsLostError`). Transports without event ids report zeros.
   */
  stats(): ClientStats {
    const total = { ...this.retiredStats };
    for (const connection of this.connectionKeys.keys()) addStats(total, connection.streamStats);
    return total;
  }

  private assertUsable(): void {
    if (this.disposed) throw new DisposedError();
  }

  private reportError(error: DurableAgentError): void {
    try {
      this.onErrorOption?.(error);
    } catch {
      // The app's handler failing must not break the client.
    }
  }
}

