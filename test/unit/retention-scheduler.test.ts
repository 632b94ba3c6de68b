import { describe, expect, it } from "vitest";
import { SandboxAgent } from "../../src/client/sandbox-agent.js";
import { recordedTurns } from "../../src/conformance/turns.js";
import { LifecycleInputError } from "../../src/lifecycle/errors.js";
import type { RetentionReport } from "../../src/lifecycle/retention.js";
import { RetentionScheduler } from "../../src/lifecycle/retention-scheduler.js";
import { InMemorySessionPersistDriver } from "../../src/persist/memory.js";
import type { SessionRecord } from "../../src/persist/types.js";

const DAY = 86_400_000;

function record(id: string, createdAt: number): SessionRecord {
  return { id, agent: "mock", agentSessionId: `agent-${id}`, lastConnectionId: "c", createdAt };
}

async function oldSessions(driver: InMemorySessionPersistDriver, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await driver.updateSession(record(`old${i}`, Date.now() - 100 * DAY));
}

const count = async (driver: InMemorySessionPersistDriver) => (await driver.listSessions({ limit: 1000 })).items.length;

describe("RetentionScheduler", () => {
  it("refuses unusable options, naming each", () => {
    const driver = new InMemorySessionPersistDriver();
    const error = (() => {
      try {
        new RetentionScheduler(driver, { policy: { maxAgeMs: -5 }, intervalMs: 10 });
      } catch (e) {
        return e as LifecycleInputError;
      }
    })();
    expect(error).toBeInstanceOf(LifecycleInputError);
    expect(error!.problems).toEqual([
      "retention.intervalMs: must be an integer of at least 1000, got 10",
      "retention.policy.maxAgeMs: must be a positive integer, got -5",
    ]);
  });

  it("runs on start and then every interval, never overlapping; stop() ends it", async () => {
    const driver = new InMemorySessionPersistDriver();
    await oldSessions(driver, 3);
    const reports: RetentionReport[] = [];
    let resolveFirst: () => void;
    const first = new Promise<void>((resolve) => (resolveFirst = resolve));
    const scheduler = new RetentionScheduler(driver, {
      policy: { maxAgeMs: DAY },
      intervalMs: 1000,
      runOnStart: true,
      onReport: (report) => {
        reports.push(report);
        resolveFirst();
      },
    });
    await first;
    expect(reports[0]!.deletedSessions).toHaveLength(3);
    expect(await count(driver)).toBe(0);
    // A run asked for by hand while none is running.
    await oldSessions(driver, 2);
    const report = await scheduler.runNow();
    expect(report!.deletedSessions).toHaveLength(2);
    await scheduler.stop();
    expect(scheduler.stopped).toBe(true);
    expect(await scheduler.runNow()).toBeUndefined();
    await oldSessions(driver, 1);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await count(driver)).toBe(1);
    expect(reports).toHaveLength(2);
  });

  it("a failing run goes to onError and the schedule goes on", async () => {
    const driver = new InMemorySessionPersistDriver();
    const errors: unknown[] = [];
    const failing = Object.create(driver) as InMemorySessionPersistDriver;
    failing.listSessions = () => Promise.reject(new Error("store down"));
    (failing as { listSessionActivity?: unknown }).listSessionActivity = () => Promise.reject(new Error("store down"));
    const scheduler = new RetentionScheduler(failing, { policy: { maxSessions: 1 }, intervalMs: 1000, onError: (e) => errors.push(e) });
    expect(await scheduler.runNow()).toBeUndefined();
    expect((errors[0] as Error).message).toBe("store down");
    await scheduler.stop();
  });
});

describe("SandboxAgent: retention and fork", () => {
  const connect = (persist: InMemorySessionPersistDriver, extra: object = {}) =>
    new SandboxAgent({ baseUrl: "http://127.0.0.1:9", skipHealthCheck: true, persist, ...extra });

  it("connect refuses a bad retention option with InvalidOptionsError", () => {
    const persist = new InMemorySessionPersistDriver();
    expect(() => connect(persist, { retention: { policy: {}, intervalMs: 5000 } })).toThrow(/retention\.policy: give at least one/);
    expect(() => connect(persist, { retention: { policy: {}, intervalMs: 5000 } })).toThrowError(expect.objectContaining({ code: "client.invalid_options" }));
    expect(() => connect(persist, { retentoin: {} })).toThrow(/did you mean "retention"/);
  });

  it("applyRetention never touches a session with a handle in this client; dispose stops the timer", async () => {
    const persist = new InMemorySessionPersistDriver();
    await oldSessions(persist, 3);
    const sdk = connect(persist, { retention: { policy: { maxAgeMs: DAY }, intervalMs: 60_000 } });
    await sdk.getSession("old1");
    const report = await sdk.applyRetention({ maxAgeMs: DAY });
    expect(report.protectedSessions).toBe(1);
    expect(report.deletedSessions.map((d) => d.id).sort()).toEqual(["old0", "old2"]);
    await sdk.dispose();
    expect(await count(persist)).toBe(1);
  });

  it("the retention option runs the policy on its timer, skipping the sessions with a handle, and reports each run", async () => {
    const persist = new InMemorySessionPersistDriver();
    await oldSessions(persist, 3);
    const reports: RetentionReport[] = [];
    let reported: () => void;
    const first = new Promise<void>((resolve) => (reported = resolve));
    // A client whose first run comes after one interval; it holds a handle on old2 by then.
    const live = connect(persist, {
      retention: { policy: { maxAgeMs: DAY }, intervalMs: 1000, onReport: (r: RetentionReport) => (reports.push(r), reported()) },
    });
    await live.getSession("old2");
    await first;
    expect(reports[0]!.deletedSessions.map((d) => d.id).sort()).toEqual(["old0", "old1"]);
    expect(await count(persist)).toBe(1);
    await live.dispose();
  });

  it("forkSession stores the fork and returns its handle, not yet bound", async () => {
    const persist = new InMemorySessionPersistDriver();
    await persist.updateSession(record("p", Date.now()));
    await persist.insertEvents("p", recordedTurns({ sessionId: "p", turns: 2 }));
    const sdk = connect(persist);
    const fork = await sdk.forkSession("p", { atEventIndex: 3, newId: "f" });
    expect(fork.id).toBe("f");
    expect((await persist.getSession("f"))!.agentSessionId).toBe("");
    expect((await sdk.getEvents({ sessionId: "f" })).items).toHaveLength(5);
    await expect(sdk.forkSession("p", { newId: "f" })).rejects.toMatchObject({ code: "lifecycle.session_exists" });
    await sdk.dispose();
  });
});
