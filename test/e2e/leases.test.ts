import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import {
  InMemorySessionPersistDriver,
  SandboxAgent,
  SessionLeasedError,
  SessionLeaseLostError,
  UnsupportedCapabilityError,
  type SessionEvent,
  type SessionLeaseCapabilities,
  type SessionPersistDriver,
} from "../../src/index.js";
import { allEvents, isGapFree, promptReport, STORES, type TestStore } from "../support/client.js";
import { MinimalDriver } from "../support/minimal-driver.js";

// Session leases in the client, on the real runtime, with clients sharing one store in one
// process (the multi-process races are in leases-processes.test.ts): one client drives a
// session at a time, the others fail fast, wait, or follow; a handle taken over writes nothing.

const LEASING_STORES = { memory: STORES.memory!, sqlite: STORES.sqlite! };

describe("session leases in the client (real runtime)", () => {
  let runtime: RuntimeHandle;
  const clients: SandboxAgent[] = [];
  const stores: TestStore[] = [];
  const connect = async (persist: SessionPersistDriver, lease: Parameters<typeof SandboxAgent.connect>[0]["lease"] = true) => {
    const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist, lease });
    clients.push(sdk);
    return sdk;
  };

  beforeAll(async () => {
    runtime = await startRuntime({ loadSession: true });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((sdk) => sdk.dispose().catch(() => undefined)));
    for (const store of stores.splice(0)) store.cleanup();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  for (const [name, make] of Object.entries(LEASING_STORES)) {
    it(`${name}: one driver at a time; the other fails fast naming the holder, or waits and goes on with full context`, async () => {
      const store = make();
      stores.push(store);
      const a = await connect(store.driver, { holder: "worker-a" });
      const b = await connect(store.driver, { holder: "worker-b" });
      const session = await a.resumeOrCreateSession({ id: "leased", agent: "mock" });
      await promptReport(session, "first turn");
      await promptReport(session, "second turn");

      const refused = await b.resumeSession("leased").catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SessionLeasedError);
      expect(refused).toMatchObject({ code: "session.leased", sessionId: "leased", holder: "worker-a" });
      expect((refused as SessionLeasedError).expiresAt).toBeGreaterThan(Date.now());
      const refusedToo = await b.resumeOrCreateSession({ id: "leased", agent: "mock" }).catch((e: unknown) => e);
      expect(refusedToo).toBeInstanceOf(SessionLeasedError);
      // A handle got without resuming takes the lease (by the client's default) when it is first used.
      const looked = (await b.getSession("leased"))!;
      await expect(looked.prompt("not mine")).rejects.toBeInstanceOf(SessionLeasedError);
      await expect(b.setSessionMode("leased", "code")).rejects.toBeInstanceOf(SessionLeasedError);
      expect((await allEvents(store.driver, "leased")).every((e) => e.connectionId === session.lastConnectionId)).toBe(true);

      // B waits; A closes the session (releasing the lease), B gets it at once and goes on.
      const waiting = b.resumeSession("leased", { lease: { waitMs: 30_000 } });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await a.closeSession("leased");
      const resumed = await waiting;
      // A's closed handle is done: it neither drives nor writes (resume the session for a new one).
      await expect(session.prompt("from the closed handle")).rejects.toBeInstanceOf(SessionLeaseLostError);
      const { report } = await promptReport(resumed, "third turn, from B");
      expect(report.loaded).toBe(true);
      expect(report.priorTurns).toBe(2);
      const events = await allEvents(store.driver, "leased");
      expect(isGapFree(events)).toBe(true);
      // A's old handle no longer writes: its lease was released with the close.
      const lease = await (store.driver as SessionPersistDriver & SessionLeaseCapabilities).getLease("leased");
      expect(lease).toMatchObject({ holder: "worker-b", token: 2 });
    });
  }

  it("dispose releases every lease: another client takes the session at once", async () => {
    const store = LEASING_STORES.sqlite();
    stores.push(store);
    const a = await connect(store.driver, { ttlMs: 60_000 });
    await promptReport(await a.resumeOrCreateSession({ id: "disposed", agent: "mock" }), "hello");
    await a.dispose();
    const b = await connect(store.driver);
    const started = Date.now();
    const { report } = await promptReport(await b.resumeSession("disposed"), "after dispose");
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(report.priorTurns).toBe(1);
  });

  it("a resume that fails after taking the lease (the runtime cannot bind the session) gives the lease back", async () => {
    const store = LEASING_STORES.memory();
    stores.push(store);
    await store.driver.updateSession({ id: "unbindable", agent: "no-such-agent", agentSessionId: "", lastConnectionId: "", createdAt: Date.now() });
    const a = await connect(store.driver, { holder: "a", ttlMs: 60_000 });
    await expect(a.resumeSession("unbindable")).rejects.toMatchObject({ code: expect.stringMatching(/^runtime\./) });
    // Free at once (not after the 60 s TTL): another client takes it without waiting.
    const leases = store.driver as SessionPersistDriver & SessionLeaseCapabilities;
    expect(await leases.acquireLease("unbindable", "b", 1000)).toMatchObject({ acquired: true });
  });

  it("a handle taken over (its lease lost) fails its next prompt with SessionLeaseLostError and writes nothing", async () => {
    const store = LEASING_STORES.memory();
    stores.push(store);
    const a = await connect(store.driver, { ttlMs: 300, holder: "a" });
    const errors: unknown[] = [];
    const session = await a.resumeOrCreateSession({ id: "taken", agent: "mock" });
    session.onError((error) => errors.push(error));
    await promptReport(session, "before the pause");
    // A pause of the holder (as under SIGSTOP): its renewal timer cannot run.
    const keeper = (a as unknown as { leases: { keeperOf(session: object): { stop(): void } } }).leases.keeperOf(session);
    keeper.stop();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const b = await connect(store.driver, { holder: "b" });
    await promptReport(await b.resumeSession("taken"), "B drives now");
    const before = await allEvents(store.driver, "taken");

    const failed = await session.prompt("A wakes up").catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(SessionLeaseLostError);
    expect(failed).toMatchObject({ code: "session.lease_lost", holder: "a" });
    expect((failed as Error).cause).toMatchObject({ code: "persist.lease_lost" });
    expect(errors.some((e) => e instanceof SessionLeaseLostError)).toBe(true);
    await expect(session.setMode("code")).rejects.toBeInstanceOf(SessionLeaseLostError);
    expect(await allEvents(store.driver, "taken")).toEqual(before);

    // Resuming again replaces the stale handle once the lease is free.
    await b.closeSession("taken");
    const again = await a.resumeSession("taken");
    expect(again).not.toBe(session);
    const { report } = await promptReport(again, "A again");
    expect(report.priorTurns).toBe(2);
  });

  it("a follower sees every stored event live, in order, never writes, and takes over when the driver closes", async () => {
    const store = LEASING_STORES.sqlite();
    stores.push(store);
    const driverClient = await connect(store.driver, { holder: "driver" });
    const watcher = await connect(store.driver, { holder: "watcher" });
    const session = await driverClient.resumeOrCreateSession({ id: "followed", agent: "mock" });
    await promptReport(session, "before following");
    const seen: SessionEvent[] = [];
    const follower = await watcher.followSession("followed", { onEvent: (event) => void seen.push(event), pollMs: 50 });
    expect(await follower.lease()).toMatchObject({ holder: "driver" });
    await promptReport(session, "while followed");
    await follower.catchUp();
    const stored = await allEvents(store.driver, "followed");
    expect(seen.map((e) => e.id)).toEqual(stored.map((e) => e.id));

    // The driver goes; the follower's client takes over and continues with full context.
    await driverClient.closeSession("followed");
    const taken = await follower.takeOver({ waitMs: 10_000 });
    const { report } = await promptReport(taken, "the follower drives");
    expect(report.priorTurns).toBe(2);
    await follower.catchUp();
    expect(seen.map((e) => e.eventIndex)).toEqual((await allEvents(store.driver, "followed")).map((e) => e.eventIndex));
    expect(follower.lastIndex).toBe(seen.length - 1);
    await follower.close();
  });

  it("leasing on a driver without leases: UnsupportedCapabilityError when asked for, today's behaviour by default", async () => {
    const driver = new MinimalDriver();
    await expect(SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: driver, lease: true })).rejects.toBeInstanceOf(UnsupportedCapabilityError);
    const sdk = await connect(driver, false);
    await expect(sdk.createSession({ id: "x", agent: "mock", lease: { waitMs: 10 } })).rejects.toBeInstanceOf(UnsupportedCapabilityError);
    expect(await driver.getSession("x")).toBeUndefined();
    const session = await sdk.createSession({ id: "plain", agent: "mock" });
    await promptReport(session, "no lease");
    // A leasing driver without the option: no lease either (opt-in).
    const memory = new InMemorySessionPersistDriver();
    const off = await connect(memory, false);
    await off.createSession({ id: "unleased", agent: "mock" });
    expect(await (memory as InMemorySessionPersistDriver & SessionLeaseCapabilities).getLease("unleased")).toBeUndefined();
  });
});
