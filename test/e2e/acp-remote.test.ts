// The client against a real ACP server speaking ACP's standard remote transport: the
// official SDK's AcpServer (WebSocket and Streamable HTTP on one endpoint) serving the
// scripted agent, on both transports and on the in-memory and SQLite stores.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket as NodeWebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { freePort, type AgentContextReport } from "../../harness/index.js";
import {
  AcpHttpTransport,
  AcpWebSocketTransport,
  AuthenticationError,
  InMemorySessionPersistDriver,
  RuntimeLostError,
  RuntimeUnavailableError,
  SandboxAgent,
  type RuntimeTransport,
  type Session,
  type SessionEvent,
  type SessionPersistDriver,
  type TransportName,
} from "../../src/index.js";
import { startAcpServer, type AcpServerHandle } from "../support/acp-server.js";
import { allEvents, promptReport, unansweredRequests } from "../support/client.js";

interface Store {
  driver: SessionPersistDriver;
  /** The same stored data through a new driver instance (a new process would do this). */
  reopen(): Promise<SessionPersistDriver>;
  cleanup(): Promise<void>;
}

const STORES: Record<string, () => Store> = {
  memory: () => {
    const driver = new InMemorySessionPersistDriver({ maxEventsPerSession: 100_000 });
    return { driver, reopen: async () => driver, cleanup: async () => undefined };
  },
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-acp-e2e-"));
    const filename = join(dir, "sessions.db");
    const open: SQLiteSessionPersistDriver[] = [new SQLiteSessionPersistDriver({ filename })];
    return {
      driver: open[0] as SQLiteSessionPersistDriver,
      reopen: async () => {
        const next = new SQLiteSessionPersistDriver({ filename });
        open.push(next);
        return next;
      },
      cleanup: async () => {
        for (const driver of open) await driver.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

interface TransportCase {
  name: Exclude<TransportName, "sandbox-agent">;
  url(server: AcpServerHandle): string;
  /** Rounds of the live-restart test. */
  rounds: number;
  /**
   * How long the server stays down on a restart. The in-process server restarts in about a
   * millisecond, faster than any real one; over HTTP the client sees its event streams die
   * a few event-loop turns after the sockets close, so it gets the time a real restart takes.
   */
  downtimeMs: number;
}

const TRANSPORTS: TransportCase[] = [
  { name: "acp-websocket", url: (s) => s.wsUrl, rounds: 10, downtimeMs: 0 },
  { name: "acp-http", url: (s) => s.httpUrl, rounds: 5, downtimeMs: 100 },
];

/** Prompt and return the agent's report of the context it received, with the turn's events. */
async function turn(session: Session, text: string): Promise<{ report: AgentContextReport; reply: string; events: SessionEvent[] }> {
  const result = await promptReport(session, text);
  expect(result.response.stopReason).toBe("end_turn");
  return result;
}

function expectContiguous(events: readonly SessionEvent[]): void {
  expect(events.map((e) => e.eventIndex)).toEqual(events.map((_, i) => i));
}

function methodOf(event: SessionEvent): string | undefined {
  const payload = event.payload as { method?: unknown };
  return typeof payload.method === "string" ? payload.method : undefined;
}

describe.each(TRANSPORTS)("ACP remote transport $name", (transport) => {
  describe.each(Object.keys(STORES))("on the %s store", (storeName) => {
    let server: AcpServerHandle;
    let store: Store;
    const clients: SandboxAgent[] = [];

    const connect = async (driver: SessionPersistDriver = store.driver): Promise<SandboxAgent> => {
      const client = await SandboxAgent.connect({ baseUrl: transport.url(server), transport: transport.name, token: server.token, persist: driver });
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      server = await startAcpServer({ loadSession: false });
      store = STORES[storeName]!();
    });

    afterAll(async () => {
      for (const client of clients) await client.dispose();
      await server?.close();
      await store?.cleanup();
    });

    it("creates a session and records a prompt's streamed updates in order, all stored when the prompt resolves", async () => {
      const client = await connect();
      expect(client.transport.kind).toBe(transport.name);
      const session = await client.createSession({ agent: "scripted" });
      const seen: SessionEvent[] = [];
      session.onEvent((event) => seen.push(event));

      const { report, reply, events } = await turn(session, "hello there");
      // Read right after the prompt resolved: the whole turn is already in the store.
      const stored = await allEvents(store.driver, session.id);

      expect(reply).toContain("echo: hello there");
      expect(report).toMatchObject({ turn: 1, priorTurns: 0, replay: false, loaded: false });
      expectContiguous(stored);
      expect(stored.map((e) => e.id)).toEqual(expect.arrayContaining(seen.map((e) => e.id)));
      // session/new and its answer, then the prompt, its 4 updates (3 echo chunks + the context line), its answer.
      expect(stored.map((e) => [e.sender, methodOf(e) ?? "response"])).toEqual([
        ["client", "session/new"],
        ["agent", "response"],
        ["client", "session/prompt"],
        ["agent", "session/update"],
        ["agent", "session/update"],
        ["agent", "session/update"],
        ["agent", "session/update"],
        ["agent", "response"],
      ]);
      expect(events.map((e) => e.eventIndex)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(stored.every((e) => e.connectionId === stored[0]!.connectionId)).toBe(true);
      expect(stored[0]!.connectionId).toMatch(transport.name === "acp-websocket" ? /^acp-ws-/ : /^acp-http-/);
      expect((await store.driver.getSession(session.id))?.agentSessionId).toBe(report.sessionId);
    });

    it(`survives ${transport.rounds} server restarts in a row under a live client, each next prompt answered with the history replayed`, async () => {
      const client = await connect();
      const session = await client.createSession({ agent: "scripted" });
      await turn(session, "the first turn");
      const agentSessions = new Set<string>();
      for (let round = 1; round <= transport.rounds; round++) {
        await server.restart({ downtimeMs: transport.downtimeMs });
        const { report, reply } = await turn(session, `round ${round}`);
        expect(reply, `round ${round}`).toContain(`echo: round ${round}`);
        // A fresh agent session, primed with the recorded history.
        expect(report, `round ${round}`).toMatchObject({ priorTurns: 0, replay: true, loaded: false });
        expect(report.replayChars).toBeGreaterThan(0);
        expect(session.lastRestoration?.method).toBe("replay");
        agentSessions.add(report.sessionId);
      }
      expect(agentSessions.size).toBe(transport.rounds);
      const stored = await allEvents(store.driver, session.id);
      expectContiguous(stored);
      expect(stored.filter((e) => methodOf(e) === "session/new")).toHaveLength(transport.rounds + 1);
      expect(new Set(stored.map((e) => e.connectionId)).size).toBe(transport.rounds + 1);
    });

    it("restores with session/load when the agent advertises it: the agent reports the session loaded", async () => {
      server.configureAgent({ loadSession: true });
      await server.restart();
      try {
        const client = await connect();
        const session = await client.createSession({ agent: "scripted" });
        const first = await turn(session, "remember this");
        await server.restart({ downtimeMs: transport.downtimeMs });
        const { report } = await turn(session, "after the restart");
        expect(report).toMatchObject({ sessionId: first.report.sessionId, loaded: true, replay: false, priorTurns: 1, turn: 2 });
        expect(session.lastRestoration?.method).toBe("load");
        const stored = await allEvents(store.driver, session.id);
        expectContiguous(stored);
        expect(stored.filter((e) => methodOf(e) === "session/load")).toHaveLength(1);
      } finally {
        server.configureAgent({ loadSession: false });
        await server.restart();
      }
    });

    it("resumes a session from a new client instance on the same store (replay, then session/load)", async () => {
      const first = await connect();
      const created = await first.createSession({ agent: "scripted" });
      const id = created.id;
      await turn(created, "before the app restarted");
      await first.dispose();

      // Replay: the agent cannot load sessions.
      const second = await connect(await store.reopen());
      const resumed = await second.resumeSession(id);
      const replayed = await turn(resumed, "after the app restarted");
      expect(replayed.report).toMatchObject({ replay: true, loaded: false, priorTurns: 0 });
      expect(resumed.lastRestoration?.method).toBe("replay");
      await second.dispose();

      // session/load: the agent can, and still has the session on disk.
      server.configureAgent({ loadSession: true });
      await server.restart();
      try {
        const driver = await store.reopen();
        const third = await connect(driver);
        const loaded = await third.resumeSession(id);
        const { report } = await turn(loaded, "once more");
        expect(report).toMatchObject({ sessionId: replayed.report.sessionId, loaded: true, replay: false, priorTurns: 1 });
        expect(loaded.lastRestoration?.method).toBe("load");
        const stored = await allEvents(driver, id);
        expectContiguous(stored);
        expect(stored.filter((e) => methodOf(e) === "session/prompt")).toHaveLength(3);
      } finally {
        server.configureAgent({ loadSession: false });
        await server.restart();
      }
    });

    it("settles a prompt whose server dies mid-turn with RuntimeLostError; the next prompt works", async () => {
      const client = await connect();
      const session = await client.createSession({ agent: "scripted" });
      await turn(session, "warm up");
      const pending = session.prompt("/slow 5000 never answered");
      const settled = pending.then(
        () => "resolved",
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      await server.kill();
      const outcome = await settled;
      expect(outcome).toBeInstanceOf(RuntimeLostError);
      expect((outcome as RuntimeLostError).undelivered).toBe(false);
      // The history says the prompt got no answer: a failure response is recorded for it.
      expect(unansweredRequests(await allEvents(store.driver, session.id))).toEqual([]);
      await server.restart();
      const { report } = await turn(session, "after the crash");
      expect(report.replay).toBe(true);
      expectContiguous(await allEvents(store.driver, session.id));
    });
  });

  describe("failures", () => {
    it("rejects fast with RuntimeUnavailableError when nothing listens", async () => {
      const port = await freePort();
      const url = transport.name === "acp-websocket" ? `ws://127.0.0.1:${port}/acp` : `http://127.0.0.1:${port}/acp`;
      const direct: RuntimeTransport =
        transport.name === "acp-websocket" ? new AcpWebSocketTransport({ url, token: "t" }) : new AcpHttpTransport({ url, token: "t" });
      await expect(direct.checkHealth()).rejects.toBeInstanceOf(RuntimeUnavailableError);
      await expect(SandboxAgent.connect({ baseUrl: url, transport: transport.name, healthTimeoutMs: 300 })).rejects.toBeInstanceOf(
        RuntimeUnavailableError,
      );
      const client = await SandboxAgent.connect({ baseUrl: url, transport: transport.name, skipHealthCheck: true });
      try {
        await expect(client.createSession({ agent: "scripted" })).rejects.toBeInstanceOf(RuntimeUnavailableError);
        expect((await client.listSessions()).items).toEqual([]);
      } finally {
        await client.dispose();
      }
    });

    it("rejects a wrong token with AuthenticationError, on the health check and on the first request", async () => {
      const server = await startAcpServer();
      try {
        const baseUrl = transport.url(server);
        await expect(SandboxAgent.connect({ baseUrl, transport: transport.name, token: "wrong" })).rejects.toBeInstanceOf(AuthenticationError);
        await expect(SandboxAgent.connect({ baseUrl, transport: transport.name })).rejects.toBeInstanceOf(AuthenticationError);
        const client = await SandboxAgent.connect({ baseUrl, transport: transport.name, token: "wrong", skipHealthCheck: true });
        try {
          const error = await client.createSession({ agent: "scripted" }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(AuthenticationError);
          expect((error as AuthenticationError).status).toBe(401);
        } finally {
          await client.dispose();
        }
      } finally {
        await server.close();
      }
    });
  });
});

describe("ACP WebSocket from a browser-like client", () => {
  it("passes the token as a query parameter when the WebSocket cannot send headers", async () => {
    const server = await startAcpServer({ tokenQueryParam: "access_token" });
    // A constructor that drops headers, as a browser's WebSocket does.
    const HeaderlessWebSocket = function (url: string, protocols?: string | string[]) {
      return new NodeWebSocket(url, protocols);
    } as unknown as ConstructorParameters<typeof AcpWebSocketTransport>[0]["WebSocket"];
    try {
      const refused = new AcpWebSocketTransport({ url: server.wsUrl, token: server.token, WebSocket: HeaderlessWebSocket });
      await expect(refused.checkHealth()).rejects.toBeInstanceOf(AuthenticationError);
      const transport = new AcpWebSocketTransport({ url: server.wsUrl, token: server.token, tokenQueryParam: "access_token", WebSocket: HeaderlessWebSocket });
      expect(transport.target).not.toContain(server.token!);
      const client = await SandboxAgent.connect({ transport });
      try {
        const session = await client.createSession({ agent: "scripted" });
        const { report } = await turn(session, "from a browser");
        expect(report.turn).toBe(1);
      } finally {
        await client.dispose();
      }
    } finally {
      await server.close();
    }
  });
});
