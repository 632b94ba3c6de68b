import assert from "node:assert/strict";
import { driverCapabilities, hasLeases, LEASE_METHODS } from "../persist/capabilities.js";
import type { SessionLease, SessionLeaseCapabilities } from "../persist/leases.js";
import type { SessionPersistDriverWithCapabilities } from "../persist/types.js";
import { assertSameData, expectRejection, expectValidationError, readAllEvents } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { fullRecord, makeEvent, makeEvents, minimalRecord } from "./fixtures.js";

// Session leases with fencing (optional capability). A driver without it must have none of
// the six methods; one with it is held to every rule of SessionLeaseCapabilities. Expiry is
// tested with 1 ms leases and a wait, so the store's clock (PostgreSQL, Redis) or the
// process clock decides, as in production; live leases get a minute, far beyond any pause.

type LeaseDriver = SessionPersistDriverWithCapabilities & SessionLeaseCapabilities;

const LIVE_MS = 60_000;
const SHORT_MS = 1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait until a 1 ms lease is certainly expired, on any clock that ticks with this one. */
const outliveShortLease = () => sleep(25);

/** A driver without leases has none of the six methods (a partial capability is a defect). */
function assertNoLeaseMethods(driver: SessionPersistDriverWithCapabilities): void {
  for (const name of LEASE_METHODS) assert.equal(typeof driver[name], "undefined", `${name} without acquireLease`);
  assert.ok(!driverCapabilities(driver).some((name) => (LEASE_METHODS as readonly string[]).includes(name)));
}

/**
 * Run `body` with the driver when it has leases; otherwise check it has no lease method at all
 * (so the test asserts something either way).
 */
function withLeases(ctx: SuiteContext, body: (driver: LeaseDriver) => Promise<void>): () => Promise<void> {
  return async () => {
    const driver = ctx.driver();
    if (!hasLeases(driver)) {
      assertNoLeaseMethods(driver);
      return;
    }
    await body(driver);
  };
}

async function acquired(driver: LeaseDriver, sessionId: string, holder: string, ttlMs = LIVE_MS): Promise<SessionLease> {
  const result = await driver.acquireLease(sessionId, holder, ttlMs);
  assert.ok(result.acquired, `${holder} should acquire ${sessionId}, but it is held by ${JSON.stringify(!result.acquired && result.heldBy)}`);
  return result.lease;
}

async function expectLeaseLost(run: () => Promise<unknown>, holder: string | undefined, token: number | undefined): Promise<void> {
  const error = (await expectRejection(run, "LeaseLostError", "persist.lease_lost")) as unknown as {
    current?: SessionLease;
  };
  if (holder === undefined) assert.equal(error.current, undefined, "no lease is stored");
  else {
    assert.equal(error.current?.holder, holder, "the error names the current holder");
    assert.equal(error.current?.token, token, "the error names the current token");
  }
}

/** Acquire, renew, release, getLease. */
export function leaseTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("leases: a driver has all six lease methods or none, and driverCapabilities lists them", async () => {
    const driver = ctx.driver();
    if (!hasLeases(driver)) {
      assertNoLeaseMethods(driver);
      return;
    }
    for (const name of LEASE_METHODS) assert.equal(typeof driver[name], "function", name);
    for (const name of LEASE_METHODS) assert.ok(driverCapabilities(driver).includes(name), name);
  });

  it("acquireLease on a free session: token 1, the holder, an expiry ahead; getLease returns the row", withLeases(ctx, async (driver) => {
    assert.equal(await driver.getLease("s-lease"), undefined);
    const before = Date.now();
    const lease = await acquired(driver, "s-lease", "worker-a");
    assert.equal(lease.sessionId, "s-lease");
    assert.equal(lease.holder, "worker-a");
    assert.equal(lease.token, 1);
    // Epoch milliseconds about a minute ahead: within 30 s of this clock's idea of it (a store
    // with its own clock may run on a machine whose clock is a little off).
    assert.ok(lease.expiresAt > before + LIVE_MS - 30_000 && lease.expiresAt < Date.now() + LIVE_MS + 30_000, `expiresAt ${lease.expiresAt}`);
    assertSameData(await driver.getLease("s-lease"), lease);
    assert.equal(await driver.getLease("s-lease-other"), undefined, "sessions are leased apart");
  }));

  it("acquireLease by the holder of a live lease renews it with the same token; another holder is refused, told who holds it", withLeases(ctx, async (driver) => {
    const first = await acquired(driver, "s-lease-held", "worker-a");
    const again = await acquired(driver, "s-lease-held", "worker-a");
    assert.equal(again.token, first.token);
    assert.ok(again.expiresAt >= first.expiresAt);
    const refused = await driver.acquireLease("s-lease-held", "worker-b", LIVE_MS);
    assert.equal(refused.acquired, false);
    assert.ok(!refused.acquired);
    assertSameData(refused.heldBy, again);
    assertSameData(await driver.getLease("s-lease-held"), again, "a refused acquire changes nothing");
    // Another session is free meanwhile.
    assert.equal((await acquired(driver, "s-lease-free", "worker-b")).token, 1);
  }));

  it("renewLease extends a current lease with the same token, also after expiry when nobody took over", withLeases(ctx, async (driver) => {
    const lease = await acquired(driver, "s-renew", "worker-a", SHORT_MS);
    await outliveShortLease();
    const renewed = await driver.renewLease(lease, LIVE_MS);
    assert.equal(renewed.token, lease.token);
    assert.equal(renewed.holder, "worker-a");
    assert.equal(renewed.sessionId, "s-renew");
    assert.ok(renewed.expiresAt > lease.expiresAt);
    assertSameData(await driver.getLease("s-renew"), renewed);
    const refused = await driver.acquireLease("s-renew", "worker-b", LIVE_MS);
    assert.equal(refused.acquired, false, "the renewed lease is live again");
  }));

  it("releaseLease expires the lease at once, keeping its token; the next acquirer gets the next token", withLeases(ctx, async (driver) => {
    const lease = await acquired(driver, "s-release", "worker-a");
    await driver.releaseLease(lease);
    const row = await driver.getLease("s-release");
    assert.ok(row !== undefined, "the row is kept");
    assert.equal(row.token, 1);
    assert.ok(row.expiresAt <= Date.now(), "released means expired");
    const next = await acquired(driver, "s-release", "worker-b");
    assert.equal(next.token, 2);
    // Releasing the old lease again is a no-op: the new one stays.
    await driver.releaseLease(lease);
    assertSameData(await driver.getLease("s-release"), next);
    // The same holder acquiring after its own release also gets a new token.
    await driver.releaseLease(next);
    assert.equal((await acquired(driver, "s-release", "worker-b")).token, 3);
  }));

  it("an expired lease is taken over with the next token; the old holder's renew is LeaseLostError naming the new holder", withLeases(ctx, async (driver) => {
    const old = await acquired(driver, "s-takeover", "worker-a", SHORT_MS);
    await outliveShortLease();
    const taken = await acquired(driver, "s-takeover", "worker-b");
    assert.equal(taken.token, old.token + 1);
    await expectLeaseLost(() => driver.renewLease(old, LIVE_MS), "worker-b", taken.token);
    assertSameData(await driver.getLease("s-takeover"), taken, "a refused renew changes nothing");
    const back = await driver.acquireLease("s-takeover", "worker-a", LIVE_MS);
    assert.ok(!back.acquired);
    assert.equal(back.heldBy.holder, "worker-b");
    // A renew of a lease never stored (a token from the future) is refused too.
    await expectLeaseLost(() => driver.renewLease({ ...taken, token: taken.token + 5 }, LIVE_MS), "worker-b", taken.token);
    await expectLeaseLost(() => driver.renewLease({ ...taken, sessionId: "s-never-leased" }, LIVE_MS), undefined, undefined);
  }));

  it("tokens never go back: across releases, takeovers and deleteSession", withLeases(ctx, async (driver) => {
    const tokens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const lease = await acquired(driver, "s-tokens", `worker-${i}`);
      tokens.push(lease.token);
      await driver.releaseLease(lease);
    }
    await driver.updateSession(minimalRecord("s-tokens"));
    await driver.insertEvent("s-tokens", makeEvent("s-tokens", 0));
    if (typeof driver.deleteSession === "function") await driver.deleteSession("s-tokens");
    const expired = await acquired(driver, "s-tokens", "worker-x", SHORT_MS);
    tokens.push(expired.token);
    await outliveShortLease();
    tokens.push((await acquired(driver, "s-tokens", "worker-y")).token);
    assert.deepEqual(tokens, [1, 2, 3, 4, 5]);
  }));

  it("of many acquirers racing on a free (then on a released) lease exactly one wins; the others are told the winner", withLeases(ctx, async (driver) => {
    const race = async (n: number, ttlMs: number) => {
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => driver.acquireLease("s-race", `racer-${i}`, ttlMs)),
      );
      const winners = results.filter((r) => r.acquired);
      assert.equal(winners.length, 1, `exactly one winner of ${n}, got ${winners.length}`);
      const winner = winners[0]!;
      assert.ok(winner.acquired);
      for (const r of results) if (!r.acquired) assert.equal(r.heldBy.token, winner.lease.token);
      return winner.lease;
    };
    const first = await race(20, LIVE_MS);
    assert.equal(first.token, 1);
    await driver.releaseLease(first);
    const second = await race(20, LIVE_MS);
    assert.equal(second.token, 2);
    assertSameData(await driver.getLease("s-race"), second);
  }));
}

/** insertEventsFenced and updateSessionFenced. */
export function fencedWriteTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("fenced writes by the current token are stored, with the rules of insertEvents and updateSession", withLeases(ctx, async (driver) => {
    const lease = await acquired(driver, "s-fenced", "worker-a");
    const record = fullRecord("s-fenced");
    await driver.updateSessionFenced(lease, record);
    const events = makeEvents("s-fenced", 0, ctx.events(10));
    await driver.insertEventsFenced(lease, events.slice(0, 5));
    // Idempotent re-inserts and a batch overlapping the stored part.
    await driver.insertEventsFenced(lease, events);
    await driver.insertEventsFenced(lease, []);
    assertSameData(await driver.getSession("s-fenced"), record);
    assertSameData(await readAllEvents(driver, "s-fenced"), events);
    await expectRejection(
      () => driver.insertEventsFenced(lease, [makeEvent("s-fenced", 0, { id: "intruder" })]),
      "EventConflictError",
      "persist.conflict",
    );
    assertSameData(await readAllEvents(driver, "s-fenced"), events);
  }));

  it("after a takeover, the old holder's fenced writes are LeaseLostError and write nothing; before it, after expiry, they are accepted", withLeases(ctx, async (driver) => {
    const old = await acquired(driver, "s-fence", "worker-a", SHORT_MS);
    const record = minimalRecord("s-fence");
    await driver.updateSessionFenced(old, record);
    await driver.insertEventsFenced(old, makeEvents("s-fence", 0, 2));
    await outliveShortLease();
    // Expired but not taken over: fencing is by token, so these are accepted.
    await driver.insertEventsFenced(old, makeEvents("s-fence", 2, 3));
    const taken = await acquired(driver, "s-fence", "worker-b");
    const stale = makeEvents("s-fence", 3, 6);
    await expectLeaseLost(() => driver.insertEventsFenced(old, stale), "worker-b", taken.token);
    await expectLeaseLost(() => driver.insertEventsFenced(old, makeEvents("s-fence", 0, 1)), "worker-b", taken.token);
    await expectLeaseLost(() => driver.updateSessionFenced(old, { ...record, agentSessionId: "stale" }), "worker-b", taken.token);
    assertSameData(await driver.getSession("s-fence"), record, "the record is untouched");
    assertSameData(await readAllEvents(driver, "s-fence"), makeEvents("s-fence", 0, 3), "no stale event was stored");
    // The new holder writes on where the old one stopped.
    await driver.insertEventsFenced(taken, stale);
    await driver.updateSessionFenced(taken, { ...record, agentSessionId: "fresh" });
    assertSameData(await readAllEvents(driver, "s-fence"), makeEvents("s-fence", 0, 6));
    assert.equal((await driver.getSession("s-fence"))?.agentSessionId, "fresh");
    // A token from the future, or a lease never taken, is refused too.
    await expectLeaseLost(() => driver.insertEventsFenced({ ...taken, token: taken.token + 1 }, makeEvents("s-fence", 6, 7)), "worker-b", taken.token);
    const nowhere: SessionLease = { sessionId: "s-fence-none", holder: "worker-a", token: 1, expiresAt: Date.now() + LIVE_MS };
    await expectLeaseLost(() => driver.insertEventsFenced(nowhere, makeEvents("s-fence-none", 0, 1)), undefined, undefined);
    await expectLeaseLost(() => driver.updateSessionFenced(nowhere, minimalRecord("s-fence-none")), undefined, undefined);
    assert.equal(await driver.getSession("s-fence-none"), undefined);
    assert.deepEqual((await driver.listEvents({ sessionId: "s-fence-none" })).items, []);
  }));

  it("a released lease's token stays current until someone acquires: its writes are fenced only by a takeover", withLeases(ctx, async (driver) => {
    const lease = await acquired(driver, "s-fence-release", "worker-a");
    await driver.releaseLease(lease);
    await driver.insertEventsFenced(lease, makeEvents("s-fence-release", 0, 1));
    const next = await acquired(driver, "s-fence-release", "worker-b");
    await expectLeaseLost(() => driver.insertEventsFenced(lease, makeEvents("s-fence-release", 1, 2)), "worker-b", next.token);
    assertSameData(await readAllEvents(driver, "s-fence-release"), makeEvents("s-fence-release", 0, 1));
  }));
}

/** Validation and the closed state. */
export function leaseValidationTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("leases refuse a bad holder, ttl, session id or lease with PersistValidationError, and change nothing", withLeases(ctx, async (driver) => {
    for (const holder of ["", "h".repeat(257), "bad\ud800", 42 as unknown as string]) {
      await expectValidationError(() => driver.acquireLease("s-lease-val", holder, LIVE_MS), "holder");
    }
    for (const ttl of [0, -1, 1.5, Number.NaN, 24 * 60 * 60 * 1000 + 1, "60" as unknown as number]) {
      await expectValidationError(() => driver.acquireLease("s-lease-val", "worker-a", ttl), "ttlMs");
    }
    await expectValidationError(() => driver.acquireLease("", "worker-a", LIVE_MS), "sessionId");
    await expectValidationError(() => driver.getLease(""), "sessionId");
    assert.equal(await driver.getLease("s-lease-val"), undefined, "nothing was stored");
    // The longest holder and the longest ttl are fine.
    const lease = await acquired(driver, "s-lease-val", "h".repeat(256), 24 * 60 * 60 * 1000);
    const bad: [string, unknown][] = [
      ["token", { ...lease, token: 0 }],
      ["token", { ...lease, token: 1.5 }],
      ["holder", { ...lease, holder: "" }],
      ["sessionId", { ...lease, sessionId: undefined }],
      ["expiresAt", { ...lease, expiresAt: Number.POSITIVE_INFINITY }],
    ];
    for (const [field, value] of bad) {
      const l = value as SessionLease;
      await expectValidationError(() => driver.renewLease(l, LIVE_MS), field);
      await expectValidationError(() => driver.releaseLease(l), field);
      await expectValidationError(() => driver.insertEventsFenced(l, makeEvents("s-lease-val", 0, 1)), field);
      await expectValidationError(() => driver.updateSessionFenced(l, minimalRecord("s-lease-val")), field);
    }
    await expectValidationError(() => driver.renewLease(lease, 0), "ttlMs");
    await expectValidationError(() => driver.updateSessionFenced(lease, minimalRecord("s-other-id")), "session.id");
    await expectValidationError(
      () => driver.insertEventsFenced(lease, [makeEvent("s-lease-val", 0), { ...makeEvent("s-lease-val", 1), eventIndex: -1 }]),
      "eventIndex",
    );
    await expectValidationError(() => driver.insertEventsFenced(lease, [makeEvent("s-elsewhere", 0)]), "sessionId");
    assertSameData(await driver.getLease("s-lease-val"), lease, "the lease is unchanged");
    assert.equal(await driver.getSession("s-lease-val"), undefined);
    assert.deepEqual((await driver.listEvents({ sessionId: "s-lease-val" })).items, []);
  }));

  it("after close(), every lease method rejects with DriverClosedError", withLeases(ctx, async (driver) => {
    const lease = await acquired(driver, "s-lease-close", "worker-a");
    if (typeof driver.close !== "function") return;
    await driver.close();
    ctx.markClosed();
    const calls: [string, () => Promise<unknown>][] = [
      ["acquireLease", () => driver.acquireLease("s-lease-close", "worker-a", LIVE_MS)],
      ["renewLease", () => driver.renewLease(lease, LIVE_MS)],
      ["releaseLease", () => driver.releaseLease(lease)],
      ["getLease", () => driver.getLease("s-lease-close")],
      ["insertEventsFenced", () => driver.insertEventsFenced(lease, makeEvents("s-lease-close", 0, 1))],
      ["updateSessionFenced", () => driver.updateSessionFenced(lease, minimalRecord("s-lease-close"))],
    ];
    for (const [name, call] of calls) {
      try {
        await expectRejection(call, "DriverClosedError", "persist.closed");
      } catch (error) {
        throw new Error(`${name} after close(): ${(error as Error).message}`);
      }
    }
  }));
}

/** Every lease test: acquire/renew/release, fenced writes, validation. */
export function leaseCapabilityTests(ctx: SuiteContext): void {
  leaseTests(ctx);
  fencedWriteTests(ctx);
  leaseValidationTests(ctx);
}
