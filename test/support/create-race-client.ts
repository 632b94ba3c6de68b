import { once } from "node:events";
import { createInterface } from "node:readline";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { SandboxAgent } from "../../src/index.js";

// Child process of the createSession race test: opens the SQLite file argv[2] and connects to
// the runtime at argv[3] (token in DURABLE_AGENT_TEST_TOKEN, not on the command line), prints
// "ready", waits for a line on stdin so that every contender starts at once, then creates
// session argv[4] and prints a JSON verdict: won (with the session's binding) or the error.

const [filename, baseUrl, sessionId, name] = process.argv.slice(2);
if (!filename || !baseUrl || !sessionId || !name) {
  throw new Error("usage: create-race-client <database file> <runtime url> <session id> <contender name>");
}

const driver = new SQLiteSessionPersistDriver({ filename });
const sdk = await SandboxAgent.connect({ baseUrl, token: process.env.DURABLE_AGENT_TEST_TOKEN, persist: driver });
const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
await once(lines, "line");
lines.close();

let verdict: Record<string, unknown>;
try {
  const session = await sdk.createSession({ id: sessionId, agent: "mock", sessionInit: { cwd: `/${name}`, mcpServers: [] } });
  verdict = { name, won: true, agentSessionId: session.agentSessionId, lastConnectionId: session.lastConnectionId };
} catch (error) {
  verdict = { name, won: false, error: (error as Error).name, code: (error as { code?: unknown }).code };
}
await sdk.dispose();
await driver.close();
process.stdout.write(`${JSON.stringify(verdict)}\n`);
