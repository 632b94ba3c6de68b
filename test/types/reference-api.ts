// A program written against the reference client's session API (sandbox-agent 0.4.2), as an
// app switching to durable-agent would have it. It is never run: it must compile, against this
// package (tsconfig.ours.json maps "client-under-test" to src/index.ts) and against the
// reference itself (tsconfig.reference.json maps it to the sandbox-agent package), so that
// what compiles here is what the reference offers. test/unit/reference-api-types.test.ts runs
// both. Out of scope on purpose: the reference's filesystem, process and desktop routes.
import {
  InMemorySessionPersistDriver,
  SandboxAgent,
  SandboxAgentError,
  Session,
  UnsupportedPermissionReplyError,
  UnsupportedSessionCategoryError,
  UnsupportedSessionConfigOptionError,
  UnsupportedSessionValueError,
  type AcpServerListResponse,
  type AgentInfo,
  type AgentListResponse,
  type HealthResponse,
  type ListPage,
  type PermissionReply,
  type PermissionRequestListener,
  type SandboxAgentConnectOptions,
  type SessionCreateRequest,
  type SessionEvent,
  type SessionEventListener,
  type SessionPermissionRequest,
  type SessionPersistDriver,
  type SessionRecord,
  type SessionResumeOrCreateRequest,
  type SessionSendOptions,
} from "client-under-test";

/** Connect as the reference's docs do. */
export async function connect(persist: SessionPersistDriver = new InMemorySessionPersistDriver({ maxEventsPerSession: 1000 })): Promise<SandboxAgent> {
  const options: SandboxAgentConnectOptions = {
    baseUrl: "http://127.0.0.1:2468",
    token: "token",
    headers: { "x-app": "reference-api" },
    persist,
    replayMaxEvents: 50,
    replayMaxChars: 12_000,
    signal: AbortSignal.timeout(30_000),
  };
  const sdk = await SandboxAgent.connect(options);
  await SandboxAgent.connect({ baseUrl: "http://127.0.0.1:2468", skipHealthCheck: true });
  await SandboxAgent.connect({ baseUrl: "http://127.0.0.1:2468", waitForHealth: { timeoutMs: 5000 } });
  await SandboxAgent.connect({ fetch: globalThis.fetch });
  return sdk;
}

/** The runtime and its agents. */
export async function runtimeInfo(sdk: SandboxAgent): Promise<string[]> {
  const health: HealthResponse = await sdk.getHealth();
  const status: string = health.status;
  const list: AgentListResponse = await sdk.listAgents({ config: true, noCache: true });
  const agent: AgentInfo = await sdk.getAgent("claude", { config: true });
  const installed: boolean = agent.installed;
  const credentials: boolean = agent.credentialsAvailable;
  if (!installed) {
    const install = await sdk.installAgent("claude", { reinstall: false });
    const already: boolean = install.already_installed;
    void already;
  }
  const servers: AcpServerListResponse = await sdk.listAcpServers();
  const serverAgents: string[] = servers.servers.map((server) => `${server.serverId}:${server.agent}:${server.createdAtMs}`);
  return [status, String(credentials), ...list.agents.map((a) => a.id), ...serverAgents];
}

/** Sessions: create, resume, list, read, destroy. */
export async function sessions(sdk: SandboxAgent): Promise<Session> {
  const create: SessionCreateRequest = {
    id: "ticket-42",
    agent: "claude",
    cwd: "/work",
    model: "sonnet",
    mode: "plan",
    thoughtLevel: "high",
  };
  const created: Session = await sdk.createSession(create);
  await sdk.createSession({ agent: "codex", sessionInit: { cwd: "/work", mcpServers: [] } });
  const request: SessionResumeOrCreateRequest = { id: "ticket-42", agent: "claude", mode: "plan", model: "sonnet", thoughtLevel: "high" };
  const session: Session = await sdk.resumeOrCreateSession(request);
  const resumed: Session = await sdk.resumeSession(created.id);
  const found: Session | null = await sdk.getSession("ticket-42");
  const page: ListPage<Session> = await sdk.listSessions({ limit: 20 });
  const next = page.nextCursor ? await sdk.listSessions({ cursor: page.nextCursor }) : undefined;
  const events: ListPage<SessionEvent> = await sdk.getEvents({ sessionId: session.id, limit: 100 });
  for (const event of events.items) {
    const described = `${event.id} ${event.eventIndex} ${event.sessionId} ${event.createdAt} ${event.connectionId} ${event.sender}`;
    void [described, event.payload];
  }
  const destroyed: Session = await sdk.destroySession("old-ticket");
  const when: number | undefined = destroyed.destroyedAt;
  void [resumed, found, next, when];
  return session;
}

/** What a Session offers. */
export async function useSession(session: Session): Promise<void> {
  const facts: [string, string, string, string, number] = [session.id, session.agent, session.agentSessionId, session.lastConnectionId, session.createdAt];
  const fresh: Session = await session.refresh();
  const response = await session.prompt([{ type: "text", text: "continue" }]);
  const stopReason: string = response.stopReason;

  await session.setMode("plan");
  const mode = await session.setConfigOption("mode", "plan");
  const model = await session.setModel("sonnet");
  const thought = await session.setThoughtLevel("high");
  const options = await session.getConfigOptions();
  const optionIds: string[] = options.map((option) => option.id);
  const modes = await session.getModes();
  const currentMode: string | undefined = modes?.currentModeId;
  const availableModes: string[] = modes?.availableModes.map((m) => m.id) ?? [];
  void [mode.configOptions, model.configOptions, thought.configOptions];

  const sendOptions: SessionSendOptions = { notification: true };
  const raw: unknown = await session.rawSend("session/set_mode", { modeId: "plan" });
  await session.rawSend("session/cancel", {}, sendOptions);

  const listener: SessionEventListener = (event) => void event.payload;
  const offEvents: () => void = session.onEvent(listener);
  const offPermissions: () => void = session.onPermissionRequest((request) => {
    const reply: PermissionReply = request.availableReplies.includes("always") ? "always" : "once";
    void session.respondPermission(request.id, reply);
  });
  await session.rawRespondPermission("permission-1", { outcome: { outcome: "cancelled" } });
  const record: SessionRecord = session.toRecord();
  void [facts, fresh, stopReason, optionIds, currentMode, availableModes, raw, record];
  offEvents();
  offPermissions();
}

/** The same by session id, on the client. */
export async function byId(sdk: SandboxAgent): Promise<void> {
  const { session, response } = await sdk.setSessionMode("ticket-42", "plan");
  const byModel = await sdk.setSessionModel("ticket-42", "sonnet");
  const byThought = await sdk.setSessionThoughtLevel("ticket-42", "high");
  const byOption = await sdk.setSessionConfigOption("ticket-42", "model", "sonnet");
  const options = await sdk.getSessionConfigOptions("ticket-42");
  const modes = await sdk.getSessionModes("ticket-42");
  const raw = await sdk.rawSendSessionMethod("ticket-42", "session/set_mode", { modeId: "plan" }, { notification: false });
  const sessions: Session[] = [session, byModel.session, byThought.session, byOption.session, raw.session];
  void [response, byOption.response.configOptions, options.length, modes?.currentModeId, raw.response, sessions];

  const offEvents: () => void = sdk.onSessionEvent("ticket-42", (event: SessionEvent) => void event.eventIndex);
  const onRequest: PermissionRequestListener = (request: SessionPermissionRequest) => {
    const details = [request.id, request.createdAt, request.sessionId, request.agentSessionId, request.toolCall.toolCallId, request.rawRequest.sessionId];
    const kinds: string[] = request.options.map((option) => `${option.optionId}:${option.name}:${option.kind}`);
    void [details, kinds];
    void sdk.respondPermission(request.id, "reject");
  };
  const offPermissions: () => void = sdk.onPermissionRequest("ticket-42", onRequest);
  await sdk.rawRespondPermission("permission-1", { outcome: { outcome: "selected", optionId: "allow" } });
  offEvents();
  offPermissions();
  await sdk.dispose();
}

/** The reference's error classes, as an app tells its failures apart. */
export function explain(error: unknown): string {
  if (error instanceof UnsupportedSessionValueError) {
    return `${error.sessionId} ${error.category} ${error.configId}: ${error.requestedValue} not in ${error.allowedValues.join(", ")}`;
  }
  if (error instanceof UnsupportedSessionCategoryError) return `${error.sessionId} ${error.category} not in ${error.availableCategories.join(", ")}`;
  if (error instanceof UnsupportedSessionConfigOptionError) return `${error.sessionId} ${error.configId} not in ${error.availableConfigIds.join(", ")}`;
  if (error instanceof UnsupportedPermissionReplyError) {
    const requested: PermissionReply = error.requestedReply;
    const available: PermissionReply[] = error.availableReplies;
    return `${error.permissionId}: ${requested} not in ${available.join(", ")}`;
  }
  if (error instanceof SandboxAgentError) {
    const status: number = error.status;
    return `HTTP ${status}: ${error.problem?.detail ?? error.message}`;
  }
  return String(error);
}
