// The CommonJS side of published-types.ts: the same package through its "require" declarations.
import { SandboxAgent, type Session } from "durable-agent";
import { SQLiteSessionPersistDriver } from "durable-agent/sqlite";

/** Connect and create a session. */
export async function run(): Promise<Session> {
  const sdk = await SandboxAgent.connect({ baseUrl: "http://127.0.0.1:2468", persist: new SQLiteSessionPersistDriver({ filename: ":memory:" }) });
  return sdk.createSession({ agent: "mock" });
}
