import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, RivetSessionPersistDriver, RivetStateError, type RivetActorContext } from "../../drivers/rivet.js";
import { describeDriverConformance } from "../../src/testing.js";
import { PersistValidationError } from "../../src/index.js";

// The Rivet driver without an engine: option and state checks at construction, and the whole
// conformance suite over a plain object as the actor state (events in the state). The suite
// in real actors is test/conformance/rivet.test.ts; this run adds what its JSON proxy cannot
// see (that results are copies, since a proxy copies anyway) and runs in seconds.

function plainContext(state: object = {}): RivetActorContext & { saves: number } {
  const ctx = {
    state,
    saves: 0,
    async saveState() {
      ctx.saves++;
    },
  };
  return ctx;
}

describeDriverConformance({
  name: "RivetSessionPersistDriver over a plain state object",
  createDriver: () => new RivetSessionPersistDriver(plainContext()),
  test: { describe, it, beforeEach, afterEach },
  limits: { maxEventsPerSession: DEFAULT_LIMITS.state.maxEventsPerSession, maxSessions: DEFAULT_LIMITS.state.maxSessions },
});

describe("RivetSessionPersistDriver construction", () => {
  it("refuses bad options, naming each, and leaves the state untouched", () => {
    const state = {};
    const error = (() => {
      try {
        new RivetSessionPersistDriver(plainContext(state), { events: "disk" as never, maxSessions: 0, maxBytes: 1.5, stateKey: "a b" });
      } catch (e) {
        return e as PersistValidationError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PersistValidationError);
    expect(error!.issues.map((i) => i.path)).toEqual(["options.events", "options.maxSessions", "options.maxBytes"]);
    expect(() => new RivetSessionPersistDriver(plainContext(state), { stateKey: "__proto__" })).toThrow(/options.stateKey/);
    expect(state).toEqual({});
  });

  it("refuses a state key holding something else, and changes nothing", () => {
    for (const foreign of ["text", [1, 2], { sessions: [] }, { sessions: {}, events: { s: {} } }, { sessions: { a: { id: "b", createdAt: 1 } }, events: {} }]) {
      const state = { _sandboxAgentPersist: foreign };
      const before = JSON.stringify(state);
      expect(() => new RivetSessionPersistDriver(plainContext(state))).toThrow(RivetStateError);
      expect(JSON.stringify(state)).toBe(before);
    }
  });

  it('refuses events: "sqlite" without a database, and a state whose events are in a database it was not given', () => {
    expect(() => new RivetSessionPersistDriver(plainContext(), { events: "sqlite" })).toThrow(/declare `db: db\(\)`/);
    const state = { _sandboxAgentPersist: { sessions: {}, events: {}, durableAgent: { eventStorage: "sqlite", droppedEvents: 0, droppedSessions: 0 } } };
    expect(() => new RivetSessionPersistDriver(plainContext(state))).toThrow(/events are in its SQLite database/);
  });

  it("a RivetKit context without a database (c.db throws database_not_configured) keeps events in the state", async () => {
    const state = {};
    const ctx = plainContext(state);
    Object.defineProperty(ctx, "db", {
      get() {
        throw Object.assign(new Error("database is not configured for this actor"), { code: "database_not_configured" });
      },
    });
    const driver = new RivetSessionPersistDriver(ctx);
    expect(driver.retention().eventStorage).toBe("state");
  });

  it("opens a state written in the reference layout as it is, and asks RivetKit to save on each write", async () => {
    const event = { id: "e0", eventIndex: 0, sessionId: "s1", createdAt: 1, connectionId: "c", sender: "client" as const, payload: { jsonrpc: "2.0" as const, method: "x" } };
    const record = { id: "s1", agent: "mock", agentSessionId: "a1", lastConnectionId: "c", createdAt: 1 };
    const state = { _sandboxAgentPersist: { sessions: { s1: record }, events: { s1: [event] } } };
    const ctx = plainContext(state);
    const driver = new RivetSessionPersistDriver(ctx);
    expect(await driver.getSession("s1")).toEqual(record);
    expect((await driver.listEvents({ sessionId: "s1" })).items).toEqual([event]);
    const saves = ctx.saves;
    await driver.insertEvent("s1", { ...event, id: "e1", eventIndex: 1 });
    expect(ctx.saves).toBeGreaterThan(saves);
    expect(state._sandboxAgentPersist.events.s1.map((e) => e.id)).toEqual(["e0", "e1"]);
  });
});
