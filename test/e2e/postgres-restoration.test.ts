import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import { SandboxAgent } from "../../src/index.js";
import { allEvents, isGapFree, promptReport } from "../support/client.js";
import { adminPool, dropSchema, postgresUrl, uniqueSchema } from "../support/postgres.js";

// The restoration promises on the PostgreSQL driver, against the real runtime: every app
// server holding a driver on the same database sees the same sessions.
describe("restoration on the PostgreSQL store", () => {
  let runtime: RuntimeHandle;
  const schema = uniqueSchema("e2e");
  const drivers: PostgresSessionPersistDriver[] = [];
  const clients: SandboxAgent[] = [];
  const driver = () => {
    const d = new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema });
    drivers.push(d);
    return d;
  };
  const connect = async (persist: PostgresSessionPersistDriver) => {
    const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist });
    clients.push(sdk);
    return sdk;
  };

  beforeAll(async () => {
    runtime = await startRuntime();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((sdk) => sdk.dispose()));
    runtime.configureAgent({ loadSession: false });
  });
  afterAll(async () => {
    await runtime?.stop();
    await Promise.all(drivers.map((d) => d.close()));
    const pool = adminPool();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it("survives runtime restarts under a live client, then resumes on another app server's driver", async () => {
    const first = driver();
    const sdk = await connect(first);
    const session = await sdk.createSession({ id: "pg-restart", agent: "mock" });
    await promptReport(session, "round 0");
    for (let round = 1; round <= 3; round++) {
      await runtime.restart();
      const { report } = await promptReport(session, `round ${round}`);
      expect(report.replay).toBe(true);
    }
    await sdk.dispose();

    const other = await connect(driver()); // a second process's view of the same database
    const resumed = await other.resumeSession("pg-restart");
    const { events } = await promptReport(resumed, "from the other server");
    const sent = events.find((e) => "method" in e.payload && e.payload.method === "session/prompt")!;
    expect(JSON.stringify(sent.payload)).toContain("round 3");
    expect(isGapFree(await allEvents(first, "pg-restart"))).toBe(true);
  });

  it("restores with session/load when the agent offers it", async () => {
    runtime.configureAgent({ loadSession: true });
    const sdk = await connect(driver());
    const session = await sdk.createSession({ id: "pg-load", agent: "mock" });
    await promptReport(session, "first");
    await sdk.dispose();
    const resumed = await (await connect(driver())).resumeSession("pg-load");
    expect(resumed.lastRestoration?.method).toBe("load");
    const { report } = await promptReport(resumed, "second");
    expect(report).toMatchObject({ loaded: true, priorTurns: 1 });
  });
});
