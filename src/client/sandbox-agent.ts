import type { NewSessionRequest } from "@agentclientprotocol/sdk";
import type { DurableAgentError } from "../errors.js";
import { SessionRecorder } from "../history/recorder.js";
import { deleteSessionVia, driverCapabilities } from "../persist/capabilities.js";
import { InMemorySessionPersistDriver } from "../persist/memory.js";
import type { ListEventsRequest, ListPage, ListPageRequest, SessionEvent, SessionPersistDriver, SessionRecord } from "../persist/types.js";
import { AbortedError, AuthenticationError, RuntimeLostError, RuntimeUnavailableError } from "../transport/errors.js";
import { selectTransport } from "../transport/select.js";
import type { RuntimeTransport } from "../transport/types.js";
import { AgentConnection, type AgentConnectionHooks } from "./agent-connection.js";
import { DisposedError, InvalidOptionsError, SessionDestroyedError, SessionExistsError, SessionNotFoundError } from "./errors.js";
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
  private readonly sessions = new SessionRegistry();
  private disposed = false;
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
      connectionFor: (agent) => this.connectionFor(agent),
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
      lost: (connection) => {
        void this.connections.get(connection.agent)?.then(
          (current) => current === connection && this.connections.delete(connection.agent),
          () => undefined,
        );
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

  private async waitForHealth(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      if (signal?.aborted) throw new AbortedError("connect was aborted while waiting for the runtime", { cause: signal.reason });
      try {
        await this.transport.checkHealth(signal);
        return;
      } catch (error) {
        if (error instanceof AuthenticationError || error instanceof AbortedError) throw error;
        lastError = error;
      }
      if (Date.now() >= deadline) {
        throw new RuntimeUnavailableError(
          `The runtime at ${this.transport.target} was not healthy within ${timeoutMs} ms: ${(lastError as Error)?.message ?? "no answer"}`,
          { cause: lastError },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS));
    }
  }

  /** Create a session on a fresh agent session. Rejects with `SessionExistsError` when the id is taken. */
  async createSession(request: SessionCreateRequest): Promise<Session> {
    this.assertUsable();
    if (!request || typeof request.agent !== "string" || request.agent === "") {
      throw new InvalidOptionsError("createSession needs an agent id");
    }
    const id = request.id ?? crypto.randomUUID();
    if (this.sessions.get(id) || (await this.persist.getSession(id))) throw new SessionExistsError(id);
    const record: SessionRecord = {
      id,
      agent: request.agent,
      agentSessionId: "",
      lastConnectionId: "",
      createdAt: Date.now(),
      sessionInit: request.sessionInit ?? { cwd: request.cwd ?? defaultCwd(), mcpServers: [] },
    };
    const session = this.track(record);
    try {
      await session.attachNew();
      if (request.mode) await session.setMode(request.mode);
      await session.recorder.flush();
    } catch (error) {
      this.sessions.delete(id);
      // Leave nothing of a session that never came to be, where the store allows it.
      if (!(await this.persist.getSession(id).catch(() => undefined))) {
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
    return this.createSession(request);
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
    return session;
  }

  /**
   * Close every runtime connection (without waiting on the runtime's slow DELETE),
   * settle pending prompts with `DisposedError`, and store what was recorded. The store
   * itself is left open: it belongs to the caller.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const disposed = new DisposedError();
    for (const session of this.sessions.boundSessions()) session.permissions.cancelAll();
    const closing = [...this.connections.values()].map((pending) =>
      pending.then((connection) => connection.close(disposed)).catch(() => undefined),
    );
    this.connections.clear();
    await Promise.all(closing);
    const flushes = [...this.sessions.boundSessions()].map((session) => session.recorder.flush().catch(() => undefined));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(flushes), new Promise((resolve) => (timer = setTimeout(resolve, DISPOSE_FLUSH_MS)))]);
    clearTimeout(timer);
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

  private connectionFor(agent: string): Promise<AgentConnection> {
    this.assertUsable();
    const existing = this.connections.get(agent);
    if (existing) {
      return existing.then((connection) => {
        if (connection.isOpen) return connection;
        if (this.connections.get(agent) === existing) this.connections.delete(agent);
        return this.connectionFor(agent);
      });
    }
    const opening = AgentConnection.open(this.transport, agent, this.hooks, { timeoutMs: this.resolved.requestTimeoutMs }).catch(
      (error: unknown) => {
        if (this.connections.get(agent) === opening) this.connections.delete(agent);
        // A channel that died while bootstrapping means the runtime is not there.
        if (error instanceof RuntimeLostError) {
          throw new RuntimeUnavailableError(`Cannot open a connection to agent "${agent}" at ${this.transport.target}: ${error.message}`, {
            cause: error,
          });
        }
        throw error;
      },
    );
    this.connections.set(agent, opening);
    return opening;
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

