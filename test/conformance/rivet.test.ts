import { randomUUID } from "node:crypto";
import { setupTest } from "rivetkit/test";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { describeDriverConformance } from "../../src/testing.js";
import { fileScopedTestContext, prepareRivetEngine, type RivetEngine } from "../support/rivet-engine.js";
import { HostedDriver, hostRegistry, retryUnrouted, type HostClient } from "../support/rivet-host.js";

// The conformance suite against RivetSessionPersistDriver running inside real RivetKit actors
// (a local engine, the registry, the client): every driver call is an action of the actor
// that hosts the driver. One actor per storage, and a fresh driver over emptied storage for
// each test (its tables dropped, its state key removed), since the local engine is slow to
// place hundreds of new actors on this machine. Once with events in the actor's SQLite
// database, once with events in the actor state; the capability groups run for what each has
// (event trim and session activity in both, agent state in SQLite mode).

// Every call is a round trip through the engine: the suite's 1,002 sequential updateSession
// calls (the listSessions clamp test) take longer than the default 30 s.
vi.setConfig({ testTimeout: 300_000 });

const runId = randomUUID();
let engine: RivetEngine;
let client: HostClient;
const scope = fileScopedTestContext();

beforeAll(async () => {
  engine = await prepareRivetEngine();
  const registry = hostRegistry(engine.port);
  ({ client } = (await setupTest(scope.context as never, registry)) as unknown as { client: HostClient });
}, 120_000);

afterAll(async () => {
  await scope.dispose();
  await engine?.stop();
});

for (const kind of ["sqliteHost", "stateHost"] as const) {
  describeDriverConformance({
    name: `RivetSessionPersistDriver (${kind === "sqliteHost" ? "events in the actor's SQLite database" : "events in the actor state"})`,
    createDriver: async () => {
      const handle = client[kind].getOrCreate([`conformance-${runId}`]);
      // The proxy gets the optional methods the fresh driver has (agent state in SQLite mode only).
      return new HostedDriver(handle, await retryUnrouted(() => handle.fresh()));
    },
    test: { describe, it, beforeEach, afterEach },
    // The state's default caps (500 events per session, 1024 sessions) are within what the suite needs to be told.
    limits: kind === "stateHost" ? { maxEventsPerSession: 500, maxSessions: 1024 } : { maxSessions: 1024 },
  });
}

describe("RivetSessionPersistDriver capabilities in real actors", () => {
  it("SQLite mode has event trim, session activity and agent state; state mode has no agent state", async () => {
    const sqlite = await retryUnrouted(() => client.sqliteHost.getOrCreate([`conformance-${runId}`]).capabilities());
    expect([...sqlite].sort()).toEqual(
      ["appendAgentState", "deleteAgentState", "deleteEventsBefore", "listAgentState", "listSessionActivity", "readAgentState"],
    );
    const state = await retryUnrouted(() => client.stateHost.getOrCreate([`conformance-${runId}`]).capabilities());
    expect([...state].sort()).toEqual(["deleteEventsBefore", "listSessionActivity"]);
  });
});
