import { describe, expect, it } from "vitest";
import { SessionRecorder } from "../../src/history/recorder.js";
import { LeaseKeeper } from "../../src/client/lease-keeper.js";
import { resolveCallLease, resolveConnectLease, type LeasePolicy } from "../../src/client/lease-options.js";
import { SessionLeasedError, SessionLeaseLostError } from "../../src/client/lease-errors.js";
import { InMemorySessionPersistDriver, InvalidOptionsError, UnsupportedCapabilityError, type SessionEvent } from "../../src/index.js";
import type { SessionLeaseCapabilities } from "../../src/persist/leases.js";
import { MinimalDriver } from "../support/minimal-driver.js";

// The client side of session leases, on the in-memory driver's leases (the real capability,
// not a stand-in): taking, waiting, failing fast, renewing, noticing a takeover, fencing
// every write through the recorder's port, and releasing.

type LeasingDriver = InMemorySessionPersistDriver & SessionLeaseCapabilities;
const envelope = (n: number) => ({ jsonrpc: "2.0" as const, method: "session/update", params: { n } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function leasingDriver(): LeasingDriver {
  const driver = new InMemorySessionPersistDriver() as LeasingDriver;
  expect(typeof driver.acquireLease).toBe("function");
  return driver;
}

function policy(overrides: Partial<LeasePolicy> = {}): LeasePolicy {
  return { on: true, explicit: true, ttlMs: 300, waitMs: 0, signal: undefined, ...overrides };
}

function keeper(driver: InMemorySessionPersistDriver | MinimalDriver, holder: string, lost: SessionLeaseLostError[] = []): LeaseKeeper {
  return new LeaseKeeper({ driver, sessionId: "s", holder, onLost: (error) => lost.push(error) });
}

async function stored(driver: InMemorySessionPersistDriver, sessionId = "s"): Promise<SessionEvent[]> {
  return (await driver.listEvents({ sessionId, limit: 1000 })).items;
}

describe("LeaseKeeper", () => {
  it("takes a free lease; a second holder fails fast with SessionLeasedError naming the holder and expiry", async () => {
    const driver = leasingDriver();
    const a = keeper(driver, "worker-a");
    await a.acquire(policy({ ttlMs: 10_000 }));
    expect(a.state).toBe("held");
    expect(a.lease).toMatchObject({ sessionId: "s", holder: "worker-a", token: 1 });
    const b = keeper(driver, "worker-b");
    const error = await b.acquire(policy()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionLeasedError);
    expect(error).toMatchObject({ code: "session.leased", sessionId: "s", holder: "worker-a", expiresAt: a.lease!.expiresAt });
    expect((error as Error).message).toContain("worker-a");
    expect(b.state).toBe("unleased");
    await a.release();
  });

  it("a waiting holder gets the lease as soon as the holder releases it (well before the TTL)", async () => {
    const driver = leasingDriver();
    const a = keeper(driver, "a");
    await a.acquire(policy({ ttlMs: 60_000 }));
    const b = keeper(driver, "b");
    const started = Date.now();
    const waiting = b.acquire(policy({ waitMs: 20_000 }));
    await sleep(100);
    expect(b.state).toBe("unleased");
    await a.release();
    await waiting;
    expect(b.state).toBe("held");
    expect(b.lease!.token).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000); // far below the 60 s TTL
    await b.release();
  });

  it("gives up waiting after waitMs with SessionLeasedError, and on abort with AbortedError", async () => {
    const driver = leasingDriver();
    const a = keeper(driver, "a");
    await a.acquire(policy({ ttlMs: 60_000 }));
    const started = Date.now();
    const error = await keeper(driver, "b").acquire(policy({ waitMs: 200 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionLeasedError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect((error as Error).message).toMatch(/after waiting \d+ ms/);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = await keeper(driver, "c").acquire(policy({ waitMs: 60_000, signal: controller.signal })).catch((e: unknown) => e);
    expect(aborted).toMatchObject({ code: "aborted" });
    await a.release();
  });

  it("renews while alive: the lease outlives its TTL many times over, same token", async () => {
    const driver = leasingDriver();
    const a = keeper(driver, "a");
    await a.acquire(policy({ ttlMs: 90 }));
    await sleep(400);
    expect(a.state).toBe("held");
    expect(a.lease!.token).toBe(1);
    expect((await driver.getLease("s"))!.expiresAt).toBeGreaterThan(Date.now());
    expect(await keeper(driver, "b").acquire(policy()).catch((e: unknown) => e)).toBeInstanceOf(SessionLeasedError);
    await a.release();
  });

  it("a renewal that fails for a moment (the store briefly down) is retried; failing past the expiry is a loss", async () => {
    const driver = leasingDriver();
    const renew = driver.renewLease.bind(driver);
    let failing = 2;
    driver.renewLease = async (lease, ttlMs) => {
      if (failing-- > 0) throw new Error("connection reset");
      return renew(lease, ttlMs);
    };
    const lost: SessionLeaseLostError[] = [];
    const a = keeper(driver, "a", lost);
    await a.acquire(policy({ ttlMs: 150 }));
    await sleep(400);
    expect(a.state).toBe("held");
    expect(lost).toEqual([]);
    failing = Number.POSITIVE_INFINITY; // down for good
    await sleep(400);
    expect(a.state).toBe("lost");
    expect(lost).toHaveLength(1);
    expect(lost[0]!.cause).toMatchObject({ message: "connection reset" });
    await expect(a.check()).rejects.toBe(lost[0]);
  });

  it("a holder that stopped renewing is taken over after the TTL; it learns it at its next check and writes nothing", async () => {
    const driver = leasingDriver();
    const lost: SessionLeaseLostError[] = [];
    const a = keeper(driver, "a", lost);
    await a.acquire(policy({ ttlMs: 100 }));
    const recorderA = new SessionRecorder("s", { driver, writes: a.writePort() });
    await recorderA.ready();
    recorderA.record({ connectionId: "c", sender: "client", payload: envelope(0) });
    await recorderA.flush();
    // A "pause": the renewal timer cannot run (as under SIGSTOP), simulated by stopping it.
    (a as unknown as { stop(): void }).stop();
    await sleep(150);
    const b = keeper(driver, "b");
    await b.acquire(policy({ ttlMs: 10_000 }));
    expect(b.lease!.token).toBe(2);
    const recorderB = new SessionRecorder("s", { driver, writes: b.writePort() });
    await recorderB.ready();
    recorderB.record({ connectionId: "c2", sender: "client", payload: envelope(1) });
    await recorderB.flush();

    // A wakes: its next operation renews first (the last renewal is old) and finds the takeover.
    const checked = await a.check().catch((e: unknown) => e);
    expect(checked).toBeInstanceOf(SessionLeaseLostError);
    expect(checked).toMatchObject({ code: "session.lease_lost", sessionId: "s", holder: "a" });
    expect((checked as Error).cause).toMatchObject({ code: "persist.lease_lost" });
    expect(lost).toHaveLength(1);
    expect(a.state).toBe("lost");
    // Its recorder refuses at once (no retries) and stores nothing.
    recorderA.record({ connectionId: "c", sender: "agent", payload: envelope(99) });
    const failure = await recorderA.flush().catch((e: unknown) => e);
    expect(failure).toBe(lost[0]);
    expect((await stored(driver)).map((e) => [e.eventIndex, e.connectionId])).toEqual([
      [0, "c"],
      [1, "c2"],
    ]);
    await b.release();
  });

  it("a write racing a takeover (the process woke mid-write) is refused by the store: a typed loss, nothing written, no retries", async () => {
    const driver = leasingDriver();
    const a = keeper(driver, "a");
    await a.acquire(policy({ ttlMs: 50 }));
    (a as unknown as { stop(): void }).stop();
    await sleep(80);
    const b = keeper(driver, "b");
    await b.acquire(policy({ ttlMs: 10_000 }));
    let attempts = 0;
    const port = a.writePort();
    const counted = { ...port, insertEvents: (id: string, events: readonly SessionEvent[]) => (attempts++, port.insertEvents(id, events)) };
    const recorder = new SessionRecorder("s", { driver, writes: counted, attempts: 4, retryDelayMs: 1 });
    await recorder.ready();
    recorder.record({ connectionId: "c", sender: "agent", payload: envelope(0) });
    const failure = await recorder.flush().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SessionLeaseLostError);
    expect(attempts).toBe(1);
    expect(a.state).toBe("lost");
    expect(await stored(driver)).toEqual([]);
    // The record is fenced too.
    const record = { id: "s", agent: "mock", agentSessionId: "x", lastConnectionId: "c", createdAt: 1 };
    await expect(port.updateSession(record)).rejects.toBeInstanceOf(SessionLeaseLostError);
    expect(await driver.getSession("s")).toBeUndefined();
    await b.release();
  });

  it("in a browser page, pagehide gives the lease up (a tab closed), but not a page kept in the back/forward cache", async () => {
    // A stand-in page: the event target the SDK finds on globalThis in a browser.
    const page = new EventTarget();
    const scope = globalThis as Record<string, unknown>;
    const saved = { document: scope.document, addEventListener: scope.addEventListener, removeEventListener: scope.removeEventListener };
    let watching = 0;
    Object.assign(scope, {
      document: {},
      addEventListener: (type: string, listener: EventListener) => (watching++, page.addEventListener(type, listener)),
      removeEventListener: (type: string, listener: EventListener) => (watching--, page.removeEventListener(type, listener)),
    });
    const pagehide = (persisted: boolean) => page.dispatchEvent(Object.assign(new Event("pagehide"), { persisted }));
    try {
      const driver = leasingDriver();
      const a = keeper(driver, "tab-a");
      await a.acquire(policy({ ttlMs: 60_000 }));
      pagehide(true);
      await sleep(20);
      const kept = await driver.getLease("s");
      expect(kept?.holder).toBe("tab-a");
      expect(kept!.expiresAt).toBeGreaterThan(Date.now());
      pagehide(false);
      await sleep(20);
      // Released: the row is expired (tokens never go back, so it is kept).
      expect((await driver.getLease("s"))?.expiresAt ?? 0).toBeLessThanOrEqual(Date.now());
      // Another tab takes it at once, long before the 60 s TTL.
      const b = keeper(driver, "tab-b");
      await b.acquire(policy({ ttlMs: 60_000 }));
      expect(b.lease?.holder).toBe("tab-b");
      // Holders stop watching the page once they let the lease go.
      await a.release();
      await b.release();
      expect(watching).toBe(0);
    } finally {
      Object.assign(scope, saved);
      for (const [key, value] of Object.entries(saved)) if (value === undefined) delete scope[key];
    }
  });

  it("an unleased handle writes straight to the driver; a released one writes nothing", async () => {
    const driver = leasingDriver();
    const idle = keeper(driver, "a");
    await idle.acquire(policy({ on: false }));
    expect(idle.declined).toBe(true);
    await idle.writePort().insertEvents("s", [{ id: "e0", eventIndex: 0, sessionId: "s", createdAt: 1, connectionId: "c", sender: "client", payload: envelope(0) }]);
    expect(await stored(driver)).toHaveLength(1);
    const held = keeper(driver, "b");
    await held.acquire(policy({ ttlMs: 10_000 }));
    await held.release();
    expect(held.state).toBe("released");
    const refused = await held
      .writePort()
      .insertEvents("s", [{ id: "e1", eventIndex: 1, sessionId: "s", createdAt: 1, connectionId: "c", sender: "client", payload: envelope(1) }])
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SessionLeaseLostError);
    expect(await stored(driver)).toHaveLength(1);
    // Released means free at once: the next holder does not wait for the TTL.
    await keeper(driver, "c").acquire(policy());
  });

  it("on a driver without leases: no lease by default, UnsupportedCapabilityError when asked for", async () => {
    const driver = new MinimalDriver();
    const k = keeper(driver, "a");
    await k.acquire(policy({ explicit: false }));
    expect(k.state).toBe("unleased");
    await expect(k.acquire(policy())).rejects.toBeInstanceOf(UnsupportedCapabilityError);
  });
});

describe("lease options", () => {
  it("connect: off by default, true for the defaults, options checked by name", () => {
    expect(resolveConnectLease(undefined)).toMatchObject({ on: false, explicit: false });
    const on = resolveConnectLease(true);
    expect(on).toMatchObject({ on: true, explicit: true, ttlMs: 15_000, waitMs: 0 });
    expect(on.holder).toMatch(/^[0-9a-f-]{36}$/);
    expect(resolveConnectLease({ holder: "worker-7", ttlMs: 5000, waitMs: 1000 })).toMatchObject({ holder: "worker-7", ttlMs: 5000, waitMs: 1000 });
    expect(() => resolveConnectLease({ ttl: 5 } as never)).toThrow(InvalidOptionsError);
    expect(() => resolveConnectLease({ ttl: 5 } as never)).toThrow(/ttlMs/);
    expect(() => resolveConnectLease({ ttlMs: 0 })).toThrow(/lease.ttlMs/);
    expect(() => resolveConnectLease({ waitMs: -1 })).toThrow(/lease.waitMs/);
    expect(() => resolveConnectLease({ holder: "" })).toThrow(/lease.holder/);
  });

  it("a call's option over the client's default", () => {
    const client = resolveConnectLease({ ttlMs: 5000, waitMs: 100, holder: "w" });
    expect(resolveCallLease(undefined, client)).toMatchObject({ on: true, explicit: false, ttlMs: 5000, waitMs: 100 });
    expect(resolveCallLease(false, client)).toMatchObject({ on: false });
    expect(resolveCallLease({ waitMs: 3000 }, resolveConnectLease(undefined))).toMatchObject({ on: true, explicit: true, waitMs: 3000, ttlMs: 15_000 });
    expect(() => resolveCallLease({ holder: "x" } as never, client)).toThrow(InvalidOptionsError);
  });
});
