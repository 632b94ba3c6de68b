import { describe, expect, it } from "vitest";
import {
  EventConflictError,
  InMemorySessionPersistDriver,
  type ListEventsRequest,
  type ListPage,
  type ListPageRequest,
  type LeaseAcquireResult,
  type SessionLease,
  type SessionEvent,
  type SessionRecord,
} from "../../src/index.js";
import { collectConformance } from "../support/conformance-runner.js";

// The suite must be able to fail: run it with a tiny collecting runner against drivers that
// each break one rule, and check that the tests about that rule fail (and only tests).

async function failures(createDriver: () => InMemorySessionPersistDriver): Promise<string[]> {
  const failed: string[] = [];
  for (const test of collectConformance(createDriver, { maxEventsPerSession: 500 })) {
    try {
      await test.run();
    } catch {
      failed.push(test.name);
    }
  }
  return failed;
}

class ReversedEvents extends InMemorySessionPersistDriver {
  override async listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    const page = await super.listEvents(request);
    return { ...page, items: page.items.reverse() };
  }
}

class SwallowsConflicts extends InMemorySessionPersistDriver {
  override async insertEvent(sessionId: string, event: SessionEvent): Promise<void> {
    await super.insertEvent(sessionId, event).catch((error: unknown) => {
      if (!(error instanceof EventConflictError)) throw error;
    });
  }
}

class SharesRecords extends InMemorySessionPersistDriver {
  readonly #handedOut = new Map<string, SessionRecord>();
  override async getSession(id: string): Promise<SessionRecord | undefined> {
    const cached = this.#handedOut.get(id);
    if (cached) return cached;
    const record = await super.getSession(id);
    if (record) this.#handedOut.set(id, record);
    return record;
  }
}

class NoSessionCursor extends InMemorySessionPersistDriver {
  override async listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>> {
    const page = await super.listSessions(request);
    return { items: page.items };
  }
}

class UsableAfterClose extends InMemorySessionPersistDriver {
  override async close(): Promise<void> {}
}

// The lease methods are own properties the kit installs in the constructor; these replace them.
class UnfencedWrites extends InMemorySessionPersistDriver {
  constructor() {
    super();
    Object.assign(this, {
      insertEventsFenced: (lease: SessionLease, events: readonly SessionEvent[]) => this.insertEvents(lease.sessionId, events),
    });
  }
}

class GreedyAcquire extends InMemorySessionPersistDriver {
  constructor() {
    super();
    const acquire = this.acquireLease!;
    Object.assign(this, {
      acquireLease: async (sessionId: string, holder: string, ttlMs: number): Promise<LeaseAcquireResult> => {
        const result = await acquire(sessionId, holder, ttlMs);
        return result.acquired ? result : { acquired: true, lease: { ...result.heldBy, holder } };
      },
    });
  }
}

class PartialLeases extends InMemorySessionPersistDriver {
  constructor() {
    super();
    Object.assign(this, { getLease: undefined });
  }
}

describe("the conformance suite", () => {
  it("passes a correct driver, every test of it", async () => {
    expect(await failures(() => new InMemorySessionPersistDriver())).toEqual([]);
    expect(collectConformance(() => new InMemorySessionPersistDriver()).length).toBeGreaterThan(70);
  });

  it.each([
    ["listEvents out of order", () => new ReversedEvents(), /ascending by eventIndex/],
    ["conflicts swallowed", () => new SwallowsConflicts(), /EventConflictError\('eventIndex'\)/],
    ["records shared with the caller", () => new SharesRecords(), /mutating a returned record/],
    ["listSessions without cursors", () => new NoSessionCursor(), /paging listSessions/],
    ["usable after close()", () => new UsableAfterClose(), /after close\(\)/],
    ["fenced writes that ignore the token", () => new UnfencedWrites(), /after a takeover, the old holder's fenced writes/],
    ["a lease given to every acquirer", () => new GreedyAcquire(), /exactly one wins/],
    ["five lease methods of six", () => new PartialLeases(), /all six lease methods or none/],
  ])("fails a driver with %s", async (_, create, expected) => {
    const failed = await failures(create);
    expect(failed.some((name) => expected.test(name)), failed.join("\n")).toBe(true);
  });

  it("refuses limits it cannot work within", () => {
    expect(() => collectConformance(() => new InMemorySessionPersistDriver(), { maxEventsPerSession: 9 })).toThrow(RangeError);
  });
});
