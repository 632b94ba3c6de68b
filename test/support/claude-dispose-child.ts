// A child process for the "nothing left open after dispose()" check: connects to the runtime
// named by its environment, runs one Claude session (create, prompt), disposes the client and
// prints what Node still holds open. It never calls process.exit: the parent measures how long
// the process takes to end by itself, which it does only once nothing keeps its event loop alive.
//   CLAUDE_CHILD_OPTIONS='{"baseUrl":...,"token":...,"transport":...,"cwd":...}'
import { performance } from "node:perf_hooks";
import { InMemorySessionPersistDriver, SandboxAgent, type TransportName } from "../../src/index.js";

interface ChildOptions {
  baseUrl: string;
  token: string | undefined;
  transport: TransportName | undefined;
  cwd: string;
}

const options = JSON.parse(process.env.CLAUDE_CHILD_OPTIONS ?? "{}") as ChildOptions;
const before = process.getActiveResourcesInfo();
const sdk = await SandboxAgent.connect({
  baseUrl: options.baseUrl,
  token: options.token,
  ...(options.transport ? { transport: options.transport } : {}),
  persist: new InMemorySessionPersistDriver(),
});
const session = await sdk.createSession({ id: "dispose-child", agent: "claude", cwd: options.cwd });
const response = await session.prompt("hello from a child process");
const agentSessionId = session.agentSessionId;
const connectionId = session.lastConnectionId;
await sdk.dispose();
// One line the parent reads: when dispose() resolved and what is still open right then.
process.stdout.write(
  `${JSON.stringify({
    disposedAt: performance.timeOrigin + performance.now(),
    stopReason: response.stopReason,
    agentSessionId,
    connectionId,
    before,
    after: process.getActiveResourcesInfo(),
  })}\n`,
);
