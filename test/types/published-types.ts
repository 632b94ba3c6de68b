// A program using the published package by its name (the package resolves itself through its
// "exports"), compiled by test/unit/published-types.test.ts against the built declarations
// with skipLibCheck off: the declarations, @internal members stripped, must hold together.
import { DurableAgentError, SandboxAgent, type Session, type SessionEvent } from "durable-agent";
import { IndexedDbSessionPersistDriver } from "durable-agent/indexeddb";
import { PostgresSessionPersistDriver } from "durable-agent/postgres";
import { SQLiteSessionPersistDriver } from "durable-agent/sqlite";
import { describeDriverConformance } from "durable-agent/testing";

/** Connect, prompt, read events and errors: the everyday surface. */
export async function run(): Promise<DurableAgentError["code"] | undefined> {
  const persist = new SQLiteSessionPersistDriver({ filename: ":memory:" });
  const sdk = await SandboxAgent.connect({ baseUrl: "http://127.0.0.1:2468", persist });
  try {
    const session: Session = await sdk.createSession({ agent: "mock" });
    session.onEvent((event: SessionEvent) => void event.payload);
    await session.prompt("hello");
    return undefined;
  } catch (error) {
    return error instanceof DurableAgentError ? error.code : undefined;
  } finally {
    await sdk.dispose();
    await persist.close();
    void [IndexedDbSessionPersistDriver, PostgresSessionPersistDriver, describeDriverConformance];
  }
}
