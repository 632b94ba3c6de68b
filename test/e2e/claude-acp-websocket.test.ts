// Claude Code (its ACP adapter, offline, against the loopback fake model) served over ACP's
// WebSocket transport by the official AcpServer, one adapter process per connection: the suite
// of test/support/claude-suite.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claudeAdapterPids, makeClaudeSandbox } from "../../harness/claude/index.js";
import { startAcpServer } from "../../harness/acp-server.js";
import { pidsInGroup } from "../../harness/index.js";
import { describeClaudeSuite } from "../support/claude-suite.js";

describeClaudeSuite("acp-websocket", async (model) => {
  const root = mkdtempSync(join(tmpdir(), "durable-agent-claude-ws-"));
  const sandbox = makeClaudeSandbox(root);
  // Every message any adapter wrote, in order: one live adapter per test session at a time.
  const written: unknown[] = [];
  const server = await startAcpServer({ claude: { modelBaseUrl: model.baseUrl, sandbox }, onAgentMessage: (m) => written.push(m) });
  const agentPids = () => server.agentProcessGroups().flatMap((pgid) => pidsInGroup(pgid));
  return {
    sandbox,
    connectOptions: () => ({ baseUrl: server.wsUrl, token: server.token, transport: "acp-websocket" }),
    agentPids,
    adapterPids: () => server.agentProcessGroups().flatMap((pgid) => claudeAdapterPids(pgid)),
    agentMessages: async () => [...written],
    crash: () => server.kill(),
    start: () => server.restart(),
    reset: async () => {
      written.length = 0;
    },
    afterDispose: async () => {
      const deadline = Date.now() + 3_000;
      while (agentPids().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return { instanceListed: undefined, agentPids: agentPids() };
    },
    stop: async () => {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
});
