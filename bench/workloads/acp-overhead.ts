import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { client as acpClient, type ClientConnection } from "@agentclientprotocol/sdk";
import { createWebSocketStream } from "@agentclientprotocol/sdk/experimental/ws-client";
import { WebSocket } from "ws";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { startAcpServer } from "../../harness/acp-server.js";
import { SandboxAgent } from "../../src/index.js";
import { median } from "../support/stats.js";
import type { Metric, StandaloneWorkload } from "../types.js";

// Prompt round trip through the SDK (recording every envelope to SQLite, prompt resolved once
// its events are stored) against a bare official ACP client (`client()` of
// @agentclientprotocol/sdk on createWebSocketStream), on the same in-process ACP WebSocket
// server and scripted agent. Turns alternate between the two, so a busy spell hits both.

const WARMUP_TURNS = 20;
const PROMPT = "hello";

/** Time one call, in ms. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** A bare ACP client on its own WebSocket: initialize, session/new, then prompts. */
async function bareClient(url: string, token: string | undefined): Promise<{ prompt(): Promise<unknown>; close(): void }> {
  const stream = createWebSocketStream(url, {
    WebSocket,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const connection: ClientConnection = acpClient({ name: "bare-acp-client" })
    .onNotification("session/update", () => undefined)
    .connect(stream);
  await connection.agent.request("initialize", { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false } });
  const { sessionId } = (await connection.agent.request("session/new", { cwd: process.cwd(), mcpServers: [] })) as { sessionId: string };
  return {
    prompt: () => connection.agent.request("session/prompt", { sessionId, prompt: [{ type: "text", text: PROMPT }] }),
    close: () => connection.close(),
  };
}

/** ACP prompt round trip: the SDK with SQLite recording versus a bare official ACP client. */
export const acpOverhead: StandaloneWorkload = {
  scope: "standalone",
  id: "acp-overhead",
  title: (scale) =>
    `ACP prompt round trip over WebSocket: SDK (SQLite store) vs bare official ACP client, median of ${scale.n(200, 20)} turns each after ${WARMUP_TURNS} warm-up`,
  async run(scale) {
    const turns = scale.n(200, 20);
    const server = await startAcpServer();
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-bench-acp-"));
    const persist = new SQLiteSessionPersistDriver({ filename: join(dir, "sessions.db") });
    let sdk: SandboxAgent | undefined;
    let bare: Awaited<ReturnType<typeof bareClient>> | undefined;
    try {
      sdk = await SandboxAgent.connect({ baseUrl: server.wsUrl, token: server.token, persist });
      const session = await sdk.createSession({ agent: "scripted" });
      bare = await bareClient(server.wsUrl, server.token);
      const client = bare;
      for (let i = 0; i < WARMUP_TURNS; i++) {
        await session.prompt(PROMPT);
        await client.prompt();
      }
      const sdkMs: number[] = [];
      const bareMs: number[] = [];
      for (let i = 0; i < turns; i++) {
        // Alternate which goes first, so neither always runs right after the other's GC.
        if (i % 2 === 0) {
          sdkMs.push(await timed(() => session.prompt(PROMPT)));
          bareMs.push(await timed(() => client.prompt()));
        } else {
          bareMs.push(await timed(() => client.prompt()));
          sdkMs.push(await timed(() => session.prompt(PROMPT)));
        }
      }
      const sdkMedian = median(sdkMs);
      const bareMedian = median(bareMs);
      const row = (value: number, label: string): Metric => ({ key: "turnMs", label, value, unit: "ms", better: "lower" });
      return {
        "durable-agent SDK (SQLite)": [row(sdkMedian, "median ms/turn")],
        "bare ACP client": [row(bareMedian, "median ms/turn")],
        "overhead (SDK - bare)": [row(sdkMedian - bareMedian, "median ms/turn")],
      };
    } finally {
      bare?.close();
      await sdk?.dispose();
      await persist.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
