import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { freePort, startPostgres, startRuntime, type PostgresServer, type RuntimeHandle } from "../../harness/index.js";
import {
  AbortedError,
  AuthenticationError,
  DisposedError,
  DurableAgentError,
  InvalidOptionsError,
  PersistenceFailedError,
  PersistenceTimeoutError,
  RuntimeTimeoutError,
  RuntimeUnavailableError,
  SandboxAgent,
  UnstoredEventsError,
  type Session,
  type SessionEvent,
  type SessionPersistDriver,
} from "../../src/index.js";
import { allEvents, isGapFree, promptReport, replyText } from "../support/client.js";

// "Nothing lost silently, every deadline kept": the fault promises on the real runtime, a
// real PostgreSQL server and real SQLite files. Faults are real too: the runtime and the
// database server are SIGSTOPped (hung: TCP still accepted, nothing answered), and a SQLite
// file is capped with max_page_count (SQLITE_FULL). Every wait a user relies on is measured
// with performance.now() against the deadline it was given.

/** Run `step` and measure it; never throws. */
async function timed<T>(step: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = performance.now();
  try {
    const value = await step();
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

/** Poll `check` until it returns true or `timeoutMs` passes; returns whether it did. */
async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Record every event a session emits from now on. */
function recordEvents(session: Session): SessionEvent[] {
  const seen: SessionEvent[] = [];
  session.onEvent((event) => seen.push(event));
  return seen;
}

/** How often each `chunk <k>\n` of `/chunks n` appears among the agent's message chunks in `events`. */
function chunkCounts(events: readonly SessionEvent[], n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (const event of events) {
    const text = replyText([event]);
    const match = /^chunk (\d+)\n$/.exec(text);
    if (match) counts[Number(match[1])]! += 1;
  }
  return counts;
}

const ids = (events: readonly SessionEvent[]) => events.map((event) => event.id);
const hasNoDuplicateIds = (events: readonly SessionEvent[]) => new Set(ids(events)).size === events.length;

/** The events of `recorded` the store does not hold, in recorded order. */
async function unstoredOf(driver: SessionPersistDriver, sessionId: string, recorded: readonly SessionEvent[]): Promise<SessionEvent[]> {
  const stored = new Set(ids(await allEvents(driver, sessionId)));
  return recorded.filter((event) => !stored.has(event.id));
}

/** Timings observed, printed when the file is done (for reports; the bounds are asserted in the tests). */
const timings: Record<string, number> = {};
const note = (name: string, ms: number) => (timings[name] = Math.round(ms));

describe("faults on the real runtime, PostgreSQL and SQLite: nothing lost silently, every deadline kept", () => {
  let runtime: RuntimeHandle;
  let pgServer: PostgresServer; // private: this file freezes it
  const pgDrivers: PostgresSessionPersistDriver[] = [];
  const clients: SandboxAgent[] = [];
  const dirs: string[] = [];

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "durable-agent-faults-"));
    dirs.push(dir);
    return dir;
  };
  const pgDriver = () => {
    const driver = new PostgresSessionPersistDriver({ connectionString: pgServer.url });
    pgDrivers.push(driver);
    return driver;
  };
  const connect = async (persist: SessionPersistDriver) => {
    const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist });
    clients.push(sdk);
    return sdk;
  };

  beforeAll(async () => {
    [runtime, pgServer] = await Promise.all([startRuntime(), startPostgres()]);
  });
  afterEach(async () => {
    await runtime.thaw();
    await pgServer.thaw();
    if (!runtime.running) await runtime.restart();
    await Promise.all(clients.splice(0).map((sdk) => sdk.dispose({ timeoutMs: 2000 }).catch(() => undefined)));
  });
  afterAll(async () => {
    await runtime?.stop();
    await Promise.all(pgDrivers.map((driver) => driver.close().catch(() => undefined)));
    await pgServer?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    console.log(`faults.test.ts timings (ms): ${JSON.stringify(timings)}`);
  });

  it("a hung runtime: prompt deadlines, abort, connect and dispose all end on time; after thaw the session prompts again and stores its reply", async () => {
    const driver = new SQLiteSessionPersistDriver({ filename: join(tempDir(), "hung.db") });
    const sdk = await connect(driver);
    const session = await sdk.createSession({ id: "hung", agent: "mock" });
    await promptReport(session, "before the freeze");
    // A second client with a turn in flight when the runtime hangs, to be disposed while hung.
    const other = await connect(driver);
    const stalled = await other.createSession({ id: "hung-other", agent: "mock" });
    const stalledEvents = recordEvents(stalled);
    const stalling = timed(() => stalled.prompt("/stall"));
    expect(await eventually(() => replyText(stalledEvents).includes("stalling"), 5000)).toBe(true);

    const sinceFreeze = recordEvents(session);
    await runtime.freeze();
    try {
      const timeout = await timed(() => session.prompt("hello", { timeoutMs: 2000 }));
      note("frozen runtime: prompt timeoutMs 2000", timeout.ms);
      expect(timeout.error).toBeInstanceOf(RuntimeTimeoutError);
      expect(timeout.ms).toBeGreaterThanOrEqual(1990);
      expect(timeout.ms).toBeLessThan(2500);

      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error("user pressed stop")), 300);
      const aborted = await timed(() => session.prompt("hello again", { signal: controller.signal }));
      note("frozen runtime: prompt aborted at 300", aborted.ms);
      expect(aborted.error).toBeInstanceOf(AbortedError);
      expect(aborted.ms).toBeGreaterThanOrEqual(290);
      expect(aborted.ms).toBeLessThan(800);

      const alreadyAborted = await timed(() => session.prompt("never sent", { signal: AbortSignal.abort() }));
      expect(alreadyAborted.error).toBeInstanceOf(AbortedError);
      expect(alreadyAborted.ms).toBeLessThan(100);

      const health = await timed(() =>
        SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: driver, healthTimeoutMs: 3000 }),
      );
      note("frozen runtime: connect healthTimeoutMs 3000", health.ms);
      if (health.value) clients.push(health.value);
      expect(health.error).toBeInstanceOf(RuntimeUnavailableError);
      expect(health.ms).toBeGreaterThanOrEqual(2990);
      expect(health.ms).toBeLessThan(3500);

      const abortConnect = new AbortController();
      setTimeout(() => abortConnect.abort(), 200);
      const abortedConnect = await timed(() =>
        SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: driver, healthTimeoutMs: 3000, signal: abortConnect.signal }),
      );
      note("frozen runtime: connect aborted at 200", abortedConnect.ms);
      if (abortedConnect.value) clients.push(abortedConnect.value);
      expect(abortedConnect.error).toBeInstanceOf(AbortedError);
      expect(abortedConnect.ms).toBeLessThan(700);

      const disposal = await timed(() => other.dispose({ timeoutMs: 1500 }));
      note("frozen runtime: dispose timeoutMs 1500", disposal.ms);
      if (disposal.error !== undefined) expect(disposal.error).toBeInstanceOf(DurableAgentError);
      expect(disposal.ms).toBeLessThan(1500 + 500);
      // The turn that was in flight settled with the typed error, not left hanging.
      const stalledOutcome = await Promise.race([stalling, new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), 500))]);
      expect(stalledOutcome === "pending" ? stalledOutcome : stalledOutcome.error).toBeInstanceOf(DisposedError);
      // dispose resolved: every event that client recorded is stored.
      if (disposal.error === undefined) expect(await unstoredOf(driver, "hung-other", stalledEvents)).toEqual([]);
    } finally {
      await runtime.thaw();
    }

    const seen = recordEvents(session);
    const after = await timed(() => session.prompt("after the thaw", { timeoutMs: 10_000 }));
    note("after thaw: prompt", after.ms);
    expect(after.error).toBeUndefined();
    expect(after.value?.stopReason).toBe("end_turn");
    const stored = await allEvents(driver, "hung");
    expect(replyText(stored)).toContain("echo: after the thaw");
    const storedIds = new Set(ids(stored));
    expect(ids(seen).filter((id) => !storedIds.has(id))).toEqual([]); // every event the turn recorded is stored
    // Nothing recorded while the runtime hung was dropped either (the late answers to the
    // abandoned turns arrive after the thaw and are stored in the background).
    expect(await eventually(async () => (await unstoredOf(driver, "hung", sinceFreeze)).length === 0, 3000)).toBe(true);
    const final = await allEvents(driver, "hung");
    expect(isGapFree(final)).toBe(true);
    expect(hasNoDuplicateIds(final)).toBe(true);
    await driver.close();
  });

  it("a stalled PostgreSQL: the prompt ends at its deadline with PersistenceTimeoutError carrying the response; after thaw every event is stored once, gap-free", async () => {
    const driver = pgDriver();
    const sdk = await connect(driver);
    const session = await sdk.createSession({ id: "pg-stalled", agent: "mock" });
    await promptReport(session, "warm up the pool");
    const recorded = recordEvents(session);

    await pgServer.freeze();
    let failure: { ms: number; error?: unknown };
    let recordedAtDeadline = -1;
    try {
      failure = await timed(() => session.prompt("/chunks 50", { timeoutMs: 2000 }));
      recordedAtDeadline = recorded.length;
    } finally {
      await pgServer.thaw();
    }
    note("frozen PostgreSQL: prompt timeoutMs 2000", failure.ms);
    expect(failure.error).toBeInstanceOf(PersistenceTimeoutError);
    expect(failure.error).toBeInstanceOf(PersistenceFailedError);
    const error = failure.error as PersistenceTimeoutError;
    expect(error.code).toBe("recorder.persist_timeout");
    expect((error.response as { stopReason?: string } | undefined)?.stopReason).toBe("end_turn");
    expect(error.sessionId).toBe("pg-stalled");
    expect(error.pendingEvents).toBe(recordedAtDeadline); // nothing of the turn could be stored while frozen
    expect(failure.ms).toBeGreaterThanOrEqual(1990);
    expect(failure.ms).toBeLessThan(2500);
    expect(chunkCounts(recorded, 50)).toEqual(new Array(50).fill(1)); // the turn itself completed

    // The queued events reach the store once it answers again, without any further call.
    const thawed = performance.now();
    const complete = await eventually(async () => (await unstoredOf(driver, "pg-stalled", recorded)).length === 0, 5000, 100);
    note("thawed PostgreSQL: every queued event stored", performance.now() - thawed);
    expect(complete).toBe(true);
    const stored = await allEvents(driver, "pg-stalled");
    expect(chunkCounts(stored, 50)).toEqual(new Array(50).fill(1));
    expect(isGapFree(stored)).toBe(true);
    expect(hasNoDuplicateIds(stored)).toBe(true);
    const response = stored.find((event) => (event.payload as { result?: { stopReason?: string } }).result?.stopReason === "end_turn" && event.eventIndex > recorded[0]!.eventIndex);
    expect(response).toBeDefined(); // the turn's end is stored too

    // And the session goes on.
    await promptReport(session, "after the stall");
    await sdk.dispose();
    expect(isGapFree(await allEvents(driver, "pg-stalled"))).toBe(true);
  });

  it("dispose on a stalled PostgreSQL ends at its timeout, rejecting with the unstored events or handing them over; stored again after thaw, nothing twice", async () => {
    const driver = pgDriver();
    const rejecting = await connect(driver);
    const handing = await connect(driver);
    const sessions = await Promise.all([
      rejecting.createSession({ id: "pg-dispose-reject", agent: "mock" }),
      handing.createSession({ id: "pg-dispose-hand", agent: "mock" }),
    ]);
    const recorded = sessions.map(recordEvents);

    await pgServer.freeze();
    let rejected: { ms: number; error?: unknown };
    let handed: { ms: number; error?: unknown };
    const handedEvents: SessionEvent[] = [];
    try {
      const turns = await Promise.all(sessions.map((session) => timed(() => session.prompt("/chunks 50", { timeoutMs: 1000 }))));
      for (const turn of turns) expect(turn.error).toBeInstanceOf(PersistenceTimeoutError);
      [rejected, handed] = await Promise.all([
        timed(() => rejecting.dispose({ timeoutMs: 1000 })),
        timed(() => handing.dispose({ timeoutMs: 1000, onUnstoredEvents: (events) => void handedEvents.push(...events) })),
      ]);
    } finally {
      await pgServer.thaw();
    }
    note("frozen PostgreSQL: dispose timeoutMs 1000 rejected", rejected.ms);
    note("frozen PostgreSQL: dispose timeoutMs 1000 handed over", handed.ms);
    expect(rejected.ms).toBeLessThan(1000 + 500);
    expect(handed.ms).toBeLessThan(1000 + 500);
    expect(handed.error).toBeUndefined();
    expect(rejected.error).toBeInstanceOf(UnstoredEventsError);
    const error = rejected.error as UnstoredEventsError;
    // While frozen nothing of either turn could be stored: every event recorded since is unstored.
    expect(error.pendingEvents).toBe(recorded[0]!.length);
    expect(error.bySession).toEqual({ "pg-dispose-reject": recorded[0]!.length });
    expect(ids(error.events)).toEqual(ids(recorded[0]!));
    expect(ids(handedEvents)).toEqual(ids(recorded[1]!));

    // The app stores what it was given (a write left running may have stored some already):
    // the store ends complete, each chunk once, no id twice.
    await driver.insertEvents("pg-dispose-reject", error.events);
    await driver.insertEvents("pg-dispose-hand", handedEvents);
    for (const [i, id] of ["pg-dispose-reject", "pg-dispose-hand"].entries()) {
      const stored = await allEvents(driver, id);
      expect(await unstoredOf(driver, id, recorded[i]!)).toEqual([]);
      expect(chunkCounts(stored, 50)).toEqual(new Array(50).fill(1));
      expect(isGapFree(stored)).toBe(true);
      expect(hasNoDuplicateIds(stored)).toBe(true);
    }
  });

  describe("a full SQLite disk (max_page_count)", () => {
    /** A client on a SQLite file whose session was created; then the file is capped at its current size. */
    async function fullDisk(sessionId: string) {
      const db = new Database(join(tempDir(), `${sessionId}.db`));
      const driver = new SQLiteSessionPersistDriver({ database: db });
      const sdk = await connect(driver);
      const session = await sdk.createSession({ id: sessionId, agent: "mock" });
      const recorded = recordEvents(session);
      const pages = Number(db.pragma("page_count", { simple: true }));
      expect(Number(db.pragma(`max_page_count = ${pages}`, { simple: true }))).toBe(pages);
      const failure = await timed(() => session.prompt("/chunks 50"));
      expect(failure.error).toBeInstanceOf(PersistenceFailedError);
      expect((failure.error as PersistenceFailedError).code).toBe("recorder.persist_failed");
      expect((failure.error as Error).message).toMatch(/full/i); // the store's own reason is kept
      expect(chunkCounts(recorded, 50)).toEqual(new Array(50).fill(1)); // listeners saw the whole turn
      return { db, driver, sdk, session, recorded, failureMs: failure.ms };
    }

    /**
     * What a full file could not take: the end of the turn at least (a first small batch may
     * still fit in the free space of the last page), never a hole: the store holds a prefix of
     * what was recorded, the rest is unstored.
     */
    function expectUnstoredTail(recorded: readonly SessionEvent[], unstored: readonly SessionEvent[]) {
      expect(unstored.length).toBeGreaterThan(0);
      expect(ids(unstored)).toEqual(ids(recorded.slice(recorded.length - unstored.length)));
      expect(replyText(unstored)).toContain("chunk 49\n");
    }

    it("dispose() rejects with UnstoredEventsError carrying exactly the events recorded but not stored", async () => {
      const { db, driver, sdk, recorded, failureMs } = await fullDisk("full-reject");
      note("full SQLite: prompt rejected", failureMs);
      const disposal = await timed(() => sdk.dispose());
      note("full SQLite: dispose rejected", disposal.ms);
      expect(disposal.ms).toBeLessThan(5000 + 500);
      expect(disposal.error).toBeInstanceOf(UnstoredEventsError);
      const error = disposal.error as UnstoredEventsError;
      const expected = await unstoredOf(driver, "full-reject", recorded);
      expectUnstoredTail(recorded, expected);
      expect(error.code).toBe("client.unstored_events");
      expect(error.pendingEvents).toBe(expected.length);
      expect(error.bySession).toEqual({ "full-reject": expected.length });
      expect(ids(error.events)).toEqual(ids(expected));
      expect(error.events).toEqual(expected);
      // The events themselves are not dumped into logs.
      expect(JSON.stringify(error)).not.toContain("chunk 7");
      db.close();
    });

    it("dispose({ onUnstoredEvents }) resolves and hands them over; stored later, the store is complete and gap-free", async () => {
      const { db, driver, sdk, recorded } = await fullDisk("full-handover");
      const handed: SessionEvent[] = [];
      const disposal = await timed(() => sdk.dispose({ onUnstoredEvents: (events) => void handed.push(...events) }));
      note("full SQLite: dispose with onUnstoredEvents", disposal.ms);
      expect(disposal.error).toBeUndefined();
      expect(disposal.ms).toBeLessThan(5000 + 500);
      const expected = await unstoredOf(driver, "full-handover", recorded);
      expectUnstoredTail(recorded, expected);
      expect(ids(handed)).toEqual(ids(expected));

      db.pragma("max_page_count = 1000000");
      await driver.insertEvents("full-handover", handed);
      await driver.insertEvents("full-handover", handed); // storing them again is a no-op
      const stored = await allEvents(driver, "full-handover");
      expect(await unstoredOf(driver, "full-handover", recorded)).toEqual([]);
      expect(isGapFree(stored)).toBe(true);
      expect(hasNoDuplicateIds(stored)).toBe(true);
      expect(chunkCounts(stored, 50)).toEqual(new Array(50).fill(1));
      db.close();
    });

    it("events the full store could not take stay queued and are written once it has room again", async () => {
      const { db, driver, session, recorded } = await fullDisk("full-recovers");
      db.pragma("max_page_count = 1000000");
      await promptReport(session, "room again");
      const stored = await allEvents(driver, "full-recovers");
      expect(await unstoredOf(driver, "full-recovers", recorded)).toEqual([]);
      expect(isGapFree(stored)).toBe(true);
      expect(hasNoDuplicateIds(stored)).toBe(true);
      expect(chunkCounts(stored, 50)).toEqual(new Array(50).fill(1));
    });

    // "dispose resolved => every event is stored" holds for every call: a second dispose(),
    // concurrent with the first or later, says what is still unstored too.
    it("a second dispose() does not resolve while events are unstored either", async () => {
      const { sdk, driver, recorded } = await fullDisk("full-twice");
      const [first, second] = await Promise.allSettled([sdk.dispose(), sdk.dispose()]);
      const later = await sdk.dispose().then(
        () => "resolved",
        (error: unknown) => error,
      );
      expect((await unstoredOf(driver, "full-twice", recorded)).length).toBeGreaterThan(0);
      expect(first.status).toBe("rejected");
      expect(second.status).toBe("rejected");
      expect((second as PromiseRejectedResult).reason).toBeInstanceOf(UnstoredEventsError);
      expect(later).toBeInstanceOf(UnstoredEventsError);
    });
  });

  it("the deadline covers restoration: a session that must be restored on a hung runtime times out on time", async () => {
    const driver = pgDriver();
    const sdk = await connect(driver);
    const session = await sdk.createSession({ id: "restore-hung", agent: "mock" });
    await promptReport(session, "before the restart");
    await runtime.restart();
    // Wait until the client noticed the loss, so the next prompt has to restore the session
    // (internal state, read only to make sure this test takes the path it claims to).
    const connectionOf = () => (session as unknown as { connection?: { isOpen?: boolean } }).connection;
    expect(await eventually(() => connectionOf()?.isOpen === false, 5000)).toBe(true);

    await runtime.freeze();
    let timeout: { ms: number; error?: unknown };
    try {
      timeout = await timed(() => session.prompt("after the restart", { timeoutMs: 1500 }));
    } finally {
      await runtime.thaw();
    }
    note("restoration on a frozen runtime: prompt timeoutMs 1500", timeout.ms);
    expect(timeout.error).toBeInstanceOf(RuntimeTimeoutError);
    expect(timeout.ms).toBeGreaterThanOrEqual(1490);
    expect(timeout.ms).toBeLessThan(2000);
    expect(session.lastRestoration?.method).toBe("new"); // the restoration had not completed

    // Thawed, the restoration completes and the session goes on, its history replayed.
    const { report, response } = await promptReport(session, "thawed");
    expect(response.stopReason).toBe("end_turn");
    expect(session.lastRestoration?.method).toBe("replay");
    expect(report.replay).toBe(true);
    const stored = await allEvents(driver, "restore-hung");
    expect(isGapFree(stored)).toBe(true);
    expect(hasNoDuplicateIds(stored)).toBe(true);
  });

  describe("credentials in the base URL are never shown", () => {
    const secret = "s3cr3t";
    const expectNoSecret = (error: unknown) => {
      expect((error as Error).message).not.toContain(secret);
      expect(JSON.stringify(error)).not.toContain(secret);
      expect(String(error)).not.toContain(secret);
      expect(inspect(error, { depth: 10 })).not.toContain(secret); // stack and cause chain, as loggers print them
    };

    it("a closed port: RuntimeUnavailableError at healthTimeoutMs, without the secret", async () => {
      const port = await freePort();
      const outcome = await timed(() => SandboxAgent.connect({ baseUrl: `http://user:${secret}@127.0.0.1:${port}`, healthTimeoutMs: 500 }));
      note("credentials: closed port, healthTimeoutMs 500", outcome.ms);
      expect(outcome.error).toBeInstanceOf(RuntimeUnavailableError);
      expect(outcome.ms).toBeLessThan(1000);
      expectNoSecret(outcome.error);
      expect((outcome.error as Error).message).toContain(`127.0.0.1:${port}`); // still says where
    });

    it("the real runtime, which wants its bearer token: AuthenticationError, without the secret", async () => {
      const outcome = await timed(() =>
        SandboxAgent.connect({ baseUrl: `http://user:${secret}@127.0.0.1:${runtime.port}`, healthTimeoutMs: 3000 }),
      );
      note("credentials: real runtime, basic auth refused", outcome.ms);
      if (outcome.value) clients.push(outcome.value);
      expect(outcome.error).toBeInstanceOf(AuthenticationError);
      expect((outcome.error as AuthenticationError).status).toBe(401);
      expect(outcome.ms).toBeLessThan(1000); // refused credentials are final: no polling until the deadline
      expectNoSecret(outcome.error);

      // Past connect (no health check), the first request the runtime refuses says the same.
      const sdk = await SandboxAgent.connect({ baseUrl: `http://user:${secret}@127.0.0.1:${runtime.port}`, skipHealthCheck: true });
      clients.push(sdk);
      expect(sdk.transport.target).not.toContain(secret);
      // Nor does the client object, logged or serialized whole.
      expect(JSON.stringify(sdk.transport)).not.toContain(secret);
      expect(inspect(sdk, { depth: 6 })).not.toContain(secret);
      const refused = await timed(() => sdk.createSession({ id: "basic-auth", agent: "mock" }));
      expect(refused.error).toBeInstanceOf(AuthenticationError);
      expect(refused.ms).toBeLessThan(2000);
      expectNoSecret(refused.error);
    });

    it("a token and credentials in the URL: InvalidOptionsError at once, without the secret", async () => {
      const outcome = await timed(() =>
        SandboxAgent.connect({ baseUrl: `http://user:${secret}@127.0.0.1:${runtime.port}`, token: runtime.token, healthTimeoutMs: 3000 }),
      );
      note("credentials: token and URL credentials", outcome.ms);
      if (outcome.value) clients.push(outcome.value);
      expect(outcome.error).toBeInstanceOf(InvalidOptionsError);
      expect(outcome.ms).toBeLessThan(100);
      expectNoSecret(outcome.error);
    });
  });
});
