import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isProcessAlive,
  parseAgentContext,
  RawAcp,
  REPLAY_HEADER,
  RuntimeStartError,
  startRuntime,
  type RawSse,
  type RuntimeHandle,
  type SseMessage,
} from "../../harness/index.js";
import { procStat } from "../../harness/process-freeze.js";

type Json = Record<string, unknown>;

function chunkText(m: SseMessage): string | undefined {
  if (m.message.method !== "session/update") return undefined;
  const update = (m.message.params as Json).update as Json;
  if (update.sessionUpdate !== "agent_message_chunk") return undefined;
  return (update.content as { text: string }).text;
}

function updatesFor(sse: RawSse, sessionId: string, kind: string): string[] {
  return sse.messages
    .filter((m) => m.message.method === "session/update")
    .map((m) => m.message.params as { sessionId: string; update: Json })
    .filter((p) => p.sessionId === sessionId && p.update.sessionUpdate === kind)
    .map((p) => (p.update.content as { text: string }).text);
}

async function bootstrap(acp: RawAcp): Promise<{ init: Json; sessionId: string }> {
  const init = await acp.request("initialize", { protocolVersion: 1, clientInfo: { name: "test", version: "0" } }, "mock");
  expect(init.status).toBe(200);
  const created = await acp.request("session/new", { cwd: "/tmp", mcpServers: [] });
  expect(created.status).toBe(200);
  const sessionId = ((created.body as Json).result as { sessionId: string }).sessionId;
  return { init: (init.body as Json).result as Json, sessionId };
}

describe("harness: real sandbox-agent runtime with the scripted agent", () => {
  let runtime: RuntimeHandle;

  beforeAll(async () => {
    runtime = await startRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it("is healthy behind its bearer token", async () => {
    const ok = await fetch(`${runtime.baseUrl}/v1/health`, { headers: { authorization: `Bearer ${runtime.token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ok" });
    const denied = await fetch(`${runtime.baseUrl}/v1/health`, { headers: { authorization: "Bearer wrong" } });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ type: "urn:sandbox-agent:error:token_invalid", status: 401 });
  });

  it("streams a prompt's reply over SSE and reports the context the agent received", async () => {
    const acp = new RawAcp(runtime, "prompt-1");
    const { init, sessionId } = await bootstrap(acp);
    expect((init.agentCapabilities as Json).loadSession).toBe(false);
    const sse = await acp.subscribe();
    const replay = `${REPLAY_HEADER}\nuser: earlier question`;
    const answer = await acp.request("session/prompt", {
      sessionId,
      prompt: [
        { type: "text", text: replay },
        { type: "text", text: "hello harness" },
      ],
    });
    expect(answer).toMatchObject({ status: 200, body: { result: { stopReason: "end_turn" } } });
    // The response is also mirrored on SSE, after every chunk of the turn.
    await sse.waitFor((m) => m.message.id === 3 && "result" in m.message);
    sse.close();

    const chunks = sse.messages.map(chunkText).filter((t): t is string => t !== undefined);
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    const text = chunks.join("");
    expect(text.startsWith("echo: hello harness\n")).toBe(true);
    expect(parseAgentContext(text)).toMatchObject({
      sessionId,
      turn: 1,
      priorTurns: 0,
      blocks: 2,
      chars: replay.length + "hello harness".length,
      replay: true,
      replayChars: replay.length,
      loaded: false,
      mode: "ask",
    });
    const ids = sse.messages.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("sends session/request_permission on SSE and takes the client's answer by POST", async () => {
    const acp = new RawAcp(runtime, "permission-1");
    const { sessionId } = await bootstrap(acp);
    const sse = await acp.subscribe();
    const prompt = acp.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "/permission" }] });
    const ask = await sse.waitFor((m) => m.message.method === "session/request_permission");
    const options = (ask.message.params as { options: { optionId: string }[] }).options.map((o) => o.optionId);
    expect(options).toEqual(["allow", "reject"]);
    const answered = await acp.post({
      jsonrpc: "2.0",
      id: ask.message.id,
      result: { outcome: { outcome: "selected", optionId: "reject" } },
    });
    expect(answered.status).toBe(202);
    expect(await prompt).toMatchObject({ status: 200, body: { result: { stopReason: "end_turn" } } });
    await sse.waitFor((m) => (chunkText(m) ?? "").includes("[agent-context]"));
    sse.close();
    expect(updatesFor(sse, sessionId, "agent_message_chunk")[0]).toBe("permission: reject\n");
  });

  it("reports an agent crash mid-turn on SSE and answers the agent's error as JSON-RPC", async () => {
    const acp = new RawAcp(runtime, "crash-1");
    const { sessionId } = await bootstrap(acp);
    const failed = await acp.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "/error" }] });
    expect(failed).toMatchObject({ status: 200, body: { error: { code: -32603 } } });
    const sse = await acp.subscribe();
    // The POST of a crashed turn is never answered by the runtime: do not await it.
    void acp.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "/crash" }] }).catch(() => undefined);
    const exited = await sse.waitFor((m) => m.message.method === "_adapter/agent_exited");
    expect(exited.message.params).toMatchObject({ success: false, code: 1 });
    expect(updatesFor(sse, sessionId, "agent_message_chunk")).toEqual(["crashing\n"]);
    sse.close();
    const after = await acp.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "again" }] });
    expect(after.status).toBe(502);
    expect(after.body).toMatchObject({ type: "urn:sandbox-agent:error:stream_error" });
  });

  it("streams /chunks N, switches modes, and ends a /stall turn on session/cancel", async () => {
    const acp = new RawAcp(runtime, "commands-1");
    const { sessionId } = await bootstrap(acp);
    const sse = await acp.subscribe();
    expect(await acp.request("session/set_mode", { sessionId, modeId: "code" })).toMatchObject({ status: 200 });
    const badMode = await acp.request("session/set_mode", { sessionId, modeId: "nope" });
    expect(badMode).toMatchObject({ status: 200, body: { error: { code: -32602 } } });
    const long = await acp.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "/chunks 50" }] });
    expect(long).toMatchObject({ status: 200, body: { result: { stopReason: "end_turn" } } });
    await sse.waitFor((m) => (chunkText(m) ?? "").includes("[agent-context]"));
    const chunks = updatesFor(sse, sessionId, "agent_message_chunk");
    expect(chunks).toHaveLength(51);
    expect(chunks.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, k) => `chunk ${k}\n`));
    expect(parseAgentContext(chunks.join(""))).toMatchObject({ mode: "code", turn: 1 });

    const stalled = acp.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "/stall" }] });
    await sse.waitFor((m) => chunkText(m) === "stalling\n");
    const cancel = await acp.post({ jsonrpc: "2.0", method: "session/cancel", params: { sessionId } });
    expect(cancel.status).toBe(202);
    expect(await stalled).toMatchObject({ status: 200, body: { result: { stopReason: "cancelled" } } });
    sse.close();
  });

  it("restarts on the same port; old server ids are gone, new ones work", async () => {
    const acp = new RawAcp(runtime, "restart-1");
    await bootstrap(acp);
    const { port, baseUrl } = runtime;
    const oldPids = runtime.groupPids();
    expect(oldPids.length).toBeGreaterThanOrEqual(2);
    await runtime.restart();
    expect(runtime.port).toBe(port);
    expect(runtime.baseUrl).toBe(baseUrl);
    expect(oldPids.filter(isProcessAlive)).toEqual([]);
    const stale = await acp.request("initialize", { protocolVersion: 1 });
    expect(stale.status).toBe(400);
    expect(stale.body).toMatchObject({ type: "urn:sandbox-agent:error:invalid_request", status: 400 });
    const fresh = new RawAcp(runtime, "restart-2");
    const { sessionId } = await bootstrap(fresh);
    const answer = await fresh.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "after restart" }] });
    expect(answer).toMatchObject({ status: 200, body: { result: { stopReason: "end_turn" } } });
  });

  it("flips loadSession for the next spawned agent without restarting the runtime", async () => {
    const pid = runtime.pid;
    runtime.configureAgent({ loadSession: true });
    const on = await bootstrap(new RawAcp(runtime, "flip-on"));
    expect((on.init.agentCapabilities as Json).loadSession).toBe(true);
    runtime.configureAgent({ loadSession: false });
    const off = await bootstrap(new RawAcp(runtime, "flip-off"));
    expect((off.init.agentCapabilities as Json).loadSession).toBe(false);
    expect(runtime.pid).toBe(pid);
  });
});

describe("harness: scripted agent session/load across a runtime restart", () => {
  let runtime: RuntimeHandle;

  beforeAll(async () => {
    runtime = await startRuntime({ loadSession: true });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it("replays the persisted history as session/update before answering session/load", async () => {
    const before = new RawAcp(runtime, "load-1");
    const { init, sessionId } = await bootstrap(before);
    expect((init.agentCapabilities as Json).loadSession).toBe(true);
    for (const text of ["first question", "second question"]) {
      const r = await before.request("session/prompt", { sessionId, prompt: [{ type: "text", text }] });
      expect(r.status).toBe(200);
    }
    await runtime.restart();

    const after = new RawAcp(runtime, "load-2");
    await after.request("initialize", { protocolVersion: 1 }, "mock");
    const sse = await after.subscribe();
    const loaded = await after.request("session/load", { sessionId, cwd: "/tmp", mcpServers: [] });
    expect(loaded).toMatchObject({ status: 200, body: { result: { modes: { currentModeId: "ask" } } } });
    const responseAt = (await sse.waitFor((m) => m.message.id === 2 && "result" in m.message)).id;
    const historyIds = sse.messages.filter((m) => m.message.method === "session/update").map((m) => Number(m.id));
    expect(historyIds.every((id) => id < Number(responseAt))).toBe(true);
    expect(updatesFor(sse, sessionId, "user_message_chunk")).toEqual(["first question", "second question"]);
    const agentHistory = updatesFor(sse, sessionId, "agent_message_chunk");
    expect(agentHistory).toHaveLength(2);
    expect(agentHistory[1]?.startsWith("echo: second question")).toBe(true);

    await after.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "third" }] });
    await sse.waitFor((m) => m.message.id === 3 && "result" in m.message);
    sse.close();
    const reply = updatesFor(sse, sessionId, "agent_message_chunk").slice(2).join("");
    expect(parseAgentContext(reply)).toMatchObject({ sessionId, loaded: true, priorTurns: 2, turn: 3, replay: false });

    const unknown = await after.request("session/load", { sessionId: "no-such-session", cwd: "/tmp", mcpServers: [] });
    expect(unknown).toMatchObject({ status: 200, body: { error: { code: -32002 } } });
  });
});

describe("harness: freeze() and thaw() simulate a hung runtime", () => {
  /** Status of `GET /v1/health`, or `"no answer"` when it did not answer within `ms`. */
  const health = (runtime: RuntimeHandle, ms: number) =>
    fetch(`${runtime.baseUrl}/v1/health`, { headers: { authorization: `Bearer ${runtime.token}` }, signal: AbortSignal.timeout(ms) }).then(
      async (res) => {
        await res.body?.cancel();
        return res.status;
      },
      () => "no answer" as const,
    );

  it("stops the runtime process only: /v1/health is not answered until thaw()", async () => {
    const runtime = await startRuntime({ stopGraceMs: 10_000 });
    try {
      await bootstrap(new RawAcp(runtime, "freeze-1"));
      const agents = runtime.groupPids().filter((pid) => pid !== runtime.pid);
      expect(agents).toHaveLength(1);
      await runtime.freeze();
      expect(runtime.frozen).toBe(true);
      expect(procStat(runtime.pid)?.state).toBe("T");
      expect(agents.map((pid) => procStat(pid)?.state)).not.toContain("T");
      expect(await health(runtime, 300)).toBe("no answer");
      await runtime.thaw();
      expect(runtime.frozen).toBe(false);
      expect(await health(runtime, 2_000)).toBe(200);
      await runtime.thaw(); // idempotent
    } finally {
      await runtime.stop();
    }
  });

  it("restart(), kill() and stop() work on a frozen runtime, stop() without waiting out its grace period", async () => {
    const runtime = await startRuntime({ stopGraceMs: 10_000 });
    await runtime.freeze();
    await runtime.restart();
    expect(runtime.frozen).toBe(false);
    expect(await health(runtime, 2_000)).toBe(200);
    await bootstrap(new RawAcp(runtime, "freeze-2"));
    const pids = runtime.groupPids();
    await runtime.freeze();
    const started = performance.now();
    await runtime.stop();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(pids.filter(isProcessAlive)).toEqual([]);
    await expect(runtime.freeze()).rejects.toThrow(/not running/);
  });
});

describe("harness: no process outlives it", () => {
  it("stop() kills the runtime and the agents it spawned, and is idempotent", async () => {
    const runtime = await startRuntime();
    await bootstrap(new RawAcp(runtime, "leak-1"));
    await bootstrap(new RawAcp(runtime, "leak-2"));
    const pids = runtime.groupPids();
    expect(pids).toContain(runtime.pid);
    expect(pids.length).toBe(3);
    await Promise.all([runtime.stop(), runtime.stop()]);
    await runtime.stop();
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(runtime.running).toBe(false);
    expect(existsSync(runtime.dataDir)).toBe(false);
  });

  it("fails with RuntimeStartError, leaving nothing behind, when the port is taken", async () => {
    const blocker = createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const error = await startRuntime({ port, readyTimeoutMs: 1_500 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuntimeStartError);
      expect((error as RuntimeStartError).message).toContain(`port ${port}`);
      expect(existsSync(dirname((error as RuntimeStartError).logFile))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  /** Runs a fixture that starts a runtime and exits without stopping it; returns what it left alive. */
  async function orphanLeftovers(fixture: string): Promise<{ pids: number[]; alive: number[]; dirLeft: boolean }> {
    const tsx = createRequire(import.meta.url).resolve("tsx");
    const child = spawn(process.execPath, ["--import", tsx, new URL(`./fixtures/${fixture}`, import.meta.url).pathname], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    const { pids, dataDir } = JSON.parse(out) as { pids: number[]; dataDir: string };
    const dirLeft = existsSync(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    return { pids, alive: pids.filter(isProcessAlive), dirLeft };
  }

  it("kills the runtime's process group when the parent process exits without stopping it", async () => {
    const { pids, alive, dirLeft } = await orphanLeftovers("orphan-parent.ts");
    expect(pids.length).toBe(2);
    expect(alive).toEqual([]);
    expect(dirLeft).toBe(false);
  });

  it("kills a frozen runtime's process group when the parent process exits", async () => {
    const { pids, alive, dirLeft } = await orphanLeftovers("frozen-orphan-parent.ts");
    expect(pids.length).toBe(2);
    expect(alive).toEqual([]);
    expect(dirLeft).toBe(false);
  });
});
