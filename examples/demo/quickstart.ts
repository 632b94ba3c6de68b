// The getting-started example (docs/getting-started.md), runnable against the bundled runtime:
//   node --import tsx examples/demo/quickstart.ts
// An app imports the same names from "durable-agent" and "durable-agent/sqlite" and connects
// to its own runtime; startRuntime (the project's test harness) stands in for that here.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { startRuntime } from "../../harness/index.js";
import { isAgentMessageChunk, RuntimeError, SandboxAgent, textOf } from "../../src/index.js";

const runtime = await startRuntime(); // sandbox-agent on a free port, scripted agent "mock"
const dir = mkdtempSync(join(tmpdir(), "durable-agent-quickstart-"));
const persist = new SQLiteSessionPersistDriver({ filename: join(dir, "sessions.db") });
try {
  const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist });
  const session = await sdk.resumeOrCreateSession({ id: "ticket-42", agent: "mock" });
  session.onEvent((event) => {
    if (isAgentMessageChunk(event)) process.stdout.write(textOf(event) ?? "");
  });

  await session.prompt("hello");
  console.log();
  await runtime.restart(); // the runtime dies and comes back: the session's agent side is gone
  await session.prompt("still there?"); // restored on the way, with the history replayed
  console.log(`\nrestored by: ${session.lastRestoration?.method}`);

  const page = await sdk.getEvents({ sessionId: "ticket-42", limit: 1000 });
  console.log(`${page.items.length} events stored, eventIndex ${page.items[0]?.eventIndex}..${page.items.at(-1)?.eventIndex}`);
  await sdk.dispose();
} catch (error) {
  // Every failure the SDK reports is typed: RuntimeError subclasses for the runtime link, etc.
  console.error(error instanceof RuntimeError ? `runtime problem: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await persist.close();
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
}
