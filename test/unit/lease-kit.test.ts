import assert from "node:assert/strict";
import { describe, expect, it } from "vitest";
import type { PersistBackend } from "../../src/persist/backend.js";
import { driverCapabilities, hasLeases, LEASE_METHODS } from "../../src/persist/capabilities.js";
import { assertCurrentToken, decideAcquire, decideRelease, decideRenew, leaseExpired } from "../../src/persist/lease-rules.js";
import { LeaseLostError, type SessionLease } from "../../src/persist/leases.js";
import { MemoryBackend } from "../../src/persist/memory/backend.js";
import { resolveOptions } from "../../src/persist/memory/options.js";
import { PersistDriver } from "../../src/persist/persist-driver.js";
import { conformanceFixtures } from "../../src/testing.js";

// The kit's side of session leases: which drivers get the capability, what reaches a backend,
// and the lease rules as pure functions. The rules as every driver keeps them are in the
// conformance suite (src/conformance/leases.ts).

const { makeEvents, minimalRecord } = conformanceFixtures;

/** The in-memory backend, every call counted by name. */
function countingBackend(): { backend: PersistBackend; calls: string[] } {
  const inner = new MemoryBackend(resolveOptions({}));
  const calls: string[] = [];
  const backend = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as unknown as PersistBackend;
  return { backend, calls };
}

/** A backend without the lease primitives (the base ones only). */
function baseOnly(): PersistBackend {
  const inner = new MemoryBackend(resolveOptions({}));
  return {
    readSession: (id) => inner.readSession(id),
    writeSession: (r) => inner.writeSession(r),
    insertSession: (r) => inner.insertSession(r),
    scanSessions: (a, l) => inner.scanSessions(a, l),
    scanEvents: (s, a, l) => inner.scanEvents(s, a, l),
    readTail: (s, l) => inner.readTail(s, l),
    insertEvents: (s, e) => inner.insertEvents(s, e),
    deleteSession: (id) => inner.deleteSession(id),
    close: () => inner.close(),
  };
}

describe("the kit and the lease primitives", () => {
  it("a backend without the lease primitives gives a driver without a single lease method", () => {
    const driver = new PersistDriver("Base", baseOnly());
    assert.equal(hasLeases(driver), false);
    for (const name of LEASE_METHODS) assert.equal(typeof (driver as unknown as Record<string, unknown>)[name], "undefined", name);
    expect(driverCapabilities(driver)).toEqual(["insertSession", "insertEvents", "listLatestEvents", "deleteSession", "close"]);
  });

  it("a backend with some of the six is refused at construction", () => {
    const partial = { ...baseOnly(), acquireLease: () => ({ acquired: false as const, heldBy: {} as SessionLease }) };
    expect(() => new PersistDriver("Partial", partial)).toThrow(/all six lease primitives or none/);
  });

  it("bad arguments never reach the backend", async () => {
    const { backend, calls } = countingBackend();
    const driver = new PersistDriver("Counting", backend);
    assert.ok(hasLeases(driver));
    const lease: SessionLease = { sessionId: "s", holder: "h", token: 1, expiresAt: 0 };
    const bad = [
      () => driver.acquireLease("s", "", 1000),
      () => driver.acquireLease("s", "h", 0),
      () => driver.renewLease({ ...lease, token: -1 }, 1000),
      () => driver.releaseLease({ ...lease, holder: "x".repeat(257) }),
      () => driver.getLease(""),
      () => driver.insertEventsFenced(lease, [{ ...makeEvents("s", 0, 1)[0]!, eventIndex: -1 }]),
      () => driver.updateSessionFenced(lease, minimalRecord("other")),
    ];
    for (const call of bad) await expect(call()).rejects.toMatchObject({ code: "persist.invalid_input" });
    assert.deepEqual(calls, []);
    await driver.insertEventsFenced(lease, []);
    assert.deepEqual(calls, [], "an empty fenced batch reaches nothing");
  });

  it("a fenced batch that meets stored repeats is sent again through the fenced primitive, never the plain one", async () => {
    const { backend, calls } = countingBackend();
    const driver = new PersistDriver("Counting", backend);
    assert.ok(hasLeases(driver));
    const acquired = await driver.acquireLease("s", "h", 60_000);
    assert.ok(acquired.acquired);
    const events = makeEvents("s", 0, 4);
    await driver.insertEventsFenced(acquired.lease, events.slice(0, 2));
    calls.length = 0;
    await driver.insertEventsFenced(acquired.lease, events);
    assert.deepEqual(calls, ["insertEventsFenced", "insertEventsFenced"]);
    assert.deepEqual((await driver.listEvents({ sessionId: "s" })).items, events);
  });

  it("LeaseLostError names the lost lease and the current one, in its message and its JSON", () => {
    const lost: SessionLease = { sessionId: "s", holder: "a", token: 3, expiresAt: 10 };
    const current: SessionLease = { sessionId: "s", holder: "b", token: 4, expiresAt: 20 };
    const error = new LeaseLostError(lost, current);
    assert.equal(error.code, "persist.lease_lost");
    assert.equal(error.name, "LeaseLostError");
    assert.match(error.message, /"a" \(token 3\).*"b" with token 4.*nothing was written/);
    assert.deepEqual(error.toJSON(), { name: "LeaseLostError", code: "persist.lease_lost", message: error.message, sessionId: "s", holder: "a", token: 3, current });
    assert.match(new LeaseLostError(lost, undefined).message, /no lease is stored/);
  });
});

describe("the lease rules", () => {
  const row: SessionLease = { sessionId: "s", holder: "a", token: 7, expiresAt: 1000 };

  it("expiry is exclusive: a lease expiring at now is expired", () => {
    assert.equal(leaseExpired(row, 999), false);
    assert.equal(leaseExpired(row, 1000), true);
  });

  it("acquire: free, expired, held by the same holder, held by another", () => {
    assert.deepEqual(decideAcquire(undefined, "s", "b", 50, 100).result, { acquired: true, lease: { sessionId: "s", holder: "b", token: 1, expiresAt: 150 } });
    assert.deepEqual(decideAcquire(row, "s", "b", 50, 1000).write, { sessionId: "s", holder: "b", token: 8, expiresAt: 1050 });
    assert.deepEqual(decideAcquire(row, "s", "a", 50, 1000).write?.token, 8, "the same holder after expiry: a new token");
    assert.deepEqual(decideAcquire(row, "s", "a", 5000, 999).write, { sessionId: "s", holder: "a", token: 7, expiresAt: 5999 });
    const refused = decideAcquire(row, "s", "b", 50, 999);
    assert.deepEqual(refused, { result: { acquired: false, heldBy: row }, write: undefined });
    assert.ok(!refused.result.acquired && refused.result.heldBy !== row, "a copy, not the stored row");
  });

  it("renew, release and the fence go by token only", () => {
    assert.deepEqual(decideRenew(row, { ...row, expiresAt: 1 }, 10, 5000), { ...row, expiresAt: 5010 });
    assert.throws(() => decideRenew(row, { ...row, token: 6 }, 10, 0), LeaseLostError);
    assert.throws(() => decideRenew(undefined, row, 10, 0), LeaseLostError);
    assert.deepEqual(decideRelease(row, row), { ...row, expiresAt: 0 });
    assert.equal(decideRelease(row, { ...row, token: 8 }), undefined);
    assertCurrentToken(row, { ...row, holder: "whoever", expiresAt: -1 });
    assert.throws(() => assertCurrentToken(row, { ...row, token: 8 }), (e: LeaseLostError) => e.current?.token === 7);
  });
});
