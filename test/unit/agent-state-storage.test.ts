import { describe, expect, it } from "vitest";
import {
  AgentStateOffsetError,
  DriverClosedError,
  hasAgentState,
  InMemorySessionPersistDriver,
  MAX_AGENT_STATE_APPEND_BYTES,
  PersistValidationError,
  type AgentStateStorage,
} from "../../src/index.js";
import { driverCapabilities, PersistDriver, type AgentStateWrite, type PersistBackend } from "../../src/driver.js";
import { collectConformance, failingTests } from "../support/conformance-runner.js";

// The agent state capability in the driver kit: present exactly when the backend has the four
// primitives, validated and copied before the backend sees anything, closed with the driver.
// And the conformance group can fail: drivers that each break one rule fail its tests.

/** A backend with the base primitives only (nothing stored). */
function baseBackend(): PersistBackend {
  return {
    readSession: () => undefined,
    writeSession: () => undefined,
    insertSession: () => true,
    scanSessions: () => [],
    scanEvents: () => [],
    readTail: () => [],
    insertEvents: () => undefined,
    deleteSession: () => undefined,
    close: () => undefined,
  };
}

/** A backend recording what its agent state primitives receive; `stored` answers appends. */
function recordingBackend(storedSize: number | undefined = undefined) {
  const writes: AgentStateWrite[] = [];
  const calls: string[] = [];
  const backend: PersistBackend = {
    ...baseBackend(),
    appendAgentState: (write) => {
      calls.push("append");
      writes.push(write);
      return storedSize;
    },
    readAgentState: () => {
      calls.push("read");
      return undefined;
    },
    listAgentState: () => {
      calls.push("list");
      return [];
    },
    deleteAgentState: () => {
      calls.push("delete");
    },
  };
  return { backend, writes, calls };
}

describe("agent state in the driver kit", () => {
  it("a backend without the primitives gives a driver without the capability", () => {
    const driver = new PersistDriver("Plain", baseBackend());
    expect(hasAgentState(driver)).toBe(false);
    expect("appendAgentState" in driver).toBe(false);
    expect(driverCapabilities(driver)).not.toContain("appendAgentState");
    expect(typeof (driver as Partial<AgentStateStorage>).readAgentState).toBe("undefined");
  });

  it("a backend with all four primitives gives a driver with all four methods", () => {
    const driver = new PersistDriver("Full", recordingBackend().backend);
    expect(hasAgentState(driver)).toBe(true);
    expect(driverCapabilities(driver)).toEqual(expect.arrayContaining(["appendAgentState", "readAgentState", "listAgentState", "deleteAgentState"]));
    const memory = new InMemorySessionPersistDriver();
    expect(hasAgentState(memory)).toBe(true);
  });

  it("a backend with some of the primitives only is refused at construction", () => {
    const { backend } = recordingBackend();
    delete backend.listAgentState;
    expect(() => new PersistDriver("Partial", backend)).toThrow(/all four agent state primitives or none/);
  });

  it("hands the backend a validated write with its own copy of the bytes and the time", async () => {
    const { backend, writes } = recordingBackend();
    const driver = new PersistDriver("Full", backend) as PersistDriver & AgentStateStorage;
    const data = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 4);
    const before = Date.now();
    await driver.appendAgentState("s1", "a/b.jsonl", 0, data);
    const [write] = writes;
    expect(write).toMatchObject({ sessionId: "s1", path: "a/b.jsonl", offset: 0 });
    expect([...write!.data]).toEqual([2, 3, 4]);
    expect(write!.data).not.toBe(data);
    expect(write!.data.buffer).not.toBe(data.buffer);
    expect(write!.updatedAt).toBeGreaterThanOrEqual(before);
    expect(write!.updatedAt).toBeLessThanOrEqual(Date.now());
  });

  it("turns a refused offset into AgentStateOffsetError carrying the stored size", async () => {
    const driver = new PersistDriver("Full", recordingBackend(7).backend) as PersistDriver & AgentStateStorage;
    const error = await driver.appendAgentState("s1", "f", 3, new Uint8Array(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentStateOffsetError);
    expect(error).toMatchObject({ code: "persist.agent_state_offset", sessionId: "s1", path: "f", offset: 3, storedSize: 7 });
  });

  it("refuses bad arguments before the backend sees them", async () => {
    const { backend, calls } = recordingBackend();
    const driver = new PersistDriver("Full", backend) as PersistDriver & AgentStateStorage;
    const bad: (() => Promise<unknown>)[] = [
      () => driver.appendAgentState("", "f", 0, new Uint8Array(1)),
      () => driver.appendAgentState("s", "", 0, new Uint8Array(1)),
      () => driver.appendAgentState("s", "f\u0000", 0, new Uint8Array(1)),
      () => driver.appendAgentState("s", "f", -1, new Uint8Array(1)),
      () => driver.appendAgentState("s", "f", 0, [1] as unknown as Uint8Array),
      () => driver.appendAgentState("s", "f", 0, new Uint8Array(MAX_AGENT_STATE_APPEND_BYTES + 1)),
      () => driver.readAgentState("s", "x".repeat(1025)),
      () => driver.listAgentState(""),
      () => driver.deleteAgentState("s", "\ud800"),
    ];
    for (const call of bad) await expect(call()).rejects.toBeInstanceOf(PersistValidationError);
    expect(calls).toEqual([]);
    // Several problems at once are named together.
    const error = (await driver.appendAgentState("s", "", -1, "x" as unknown as Uint8Array).catch((e: unknown) => e)) as PersistValidationError;
    expect(error.issues.map((issue) => issue.path)).toEqual(["path", "offset", "data"]);
  });

  it("rejects every agent state call with DriverClosedError once closed", async () => {
    const { backend, calls } = recordingBackend();
    const driver = new PersistDriver("Full", backend) as PersistDriver & AgentStateStorage;
    await driver.close();
    await expect(driver.appendAgentState("s", "f", 0, new Uint8Array(1))).rejects.toBeInstanceOf(DriverClosedError);
    await expect(driver.readAgentState("s", "f")).rejects.toBeInstanceOf(DriverClosedError);
    await expect(driver.listAgentState("s")).rejects.toBeInstanceOf(DriverClosedError);
    await expect(driver.deleteAgentState("s")).rejects.toBeInstanceOf(DriverClosedError);
    expect(calls).toEqual([]);
  });
});

// Drivers that each break one rule of the agent state capability.

type Patch = (driver: InMemorySessionPersistDriver & AgentStateStorage) => Partial<AgentStateStorage> & { deleteSession?: (id: string) => Promise<void> };

function broken(patch: Patch): () => InMemorySessionPersistDriver {
  return () => {
    const driver = new InMemorySessionPersistDriver() as InMemorySessionPersistDriver & AgentStateStorage;
    return Object.assign(driver, patch(driver));
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

const BROKEN: [string, () => InMemorySessionPersistDriver, RegExp][] = [
  [
    "appends at any offset",
    broken((d) => {
      const append = d.appendAgentState.bind(d);
      return {
        appendAgentState: async (s, p, offset, data) => {
          const size = (await d.listAgentState(s)).find((f) => f.path === p)?.size ?? 0;
          await append(s, p, offset === 0 ? 0 : size, data);
        },
      };
    }),
    /any other offset is AgentStateOffsetError/,
  ],
  [
    "a non-atomic append (read, then write the whole file)",
    broken((d) => {
      const append = d.appendAgentState.bind(d);
      const read = d.readAgentState.bind(d);
      return {
        appendAgentState: async (s, p, offset, data) => {
          const stored = (await read(s, p)) ?? new Uint8Array(0);
          if (offset !== 0 && offset !== stored.byteLength) throw new AgentStateOffsetError(s, p, offset, stored.byteLength);
          await tick();
          const whole = new Uint8Array(offset + data.byteLength);
          whole.set(stored.subarray(0, offset));
          whole.set(data, offset);
          await append(s, p, 0, whole);
        },
      };
    }),
    /racing to append at one offset exactly one wins/,
  ],
  [
    "reads that share one array with the store",
    broken((d) => {
      const read = d.readAgentState.bind(d);
      const handedOut = new Map<string, Uint8Array>();
      return {
        readAgentState: async (s, p) => {
          const key = `${s}\u0000${p}`;
          const fresh = await read(s, p);
          if (fresh === undefined) return undefined;
          const cached = handedOut.get(key);
          if (cached !== undefined && cached.byteLength === fresh.byteLength) return cached;
          handedOut.set(key, fresh);
          return fresh;
        },
      };
    }),
    /are copies/,
  ],
  [
    "a listing in UTF-16 order",
    broken((d) => {
      const list = d.listAgentState.bind(d);
      return { listAgentState: async (s) => (await list(s)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
    }),
    /code-point order/,
  ],
  [
    "deleteSession that keeps the agent state",
    broken((d) => {
      const snapshot = new Map<string, [string, Uint8Array][]>();
      const deleteSession = d.deleteSession.bind(d);
      return {
        deleteSession: async (id) => {
          const files = await d.listAgentState(id);
          snapshot.set(id, await Promise.all(files.map(async (f) => [f.path, (await d.readAgentState(id, f.path))!] as [string, Uint8Array])));
          await deleteSession(id);
          for (const [path, data] of snapshot.get(id) ?? []) await d.appendAgentState(id, path, 0, data);
        },
      };
    }),
    /deleteSession deletes the session's files/,
  ],
  [
    "three of the four methods",
    broken(() => ({ deleteAgentState: undefined as unknown as AgentStateStorage["deleteAgentState"] })),
    /agent state: round trip/,
  ],
  [
    "agent state usable after close()",
    broken((d) => {
      const read = d.readAgentState.bind(d);
      return { readAgentState: async (s, p) => read(s, p).catch(() => undefined) };
    }),
    /after close\(\), every agent state call/,
  ],
];

describe("the conformance suite's agent state group", () => {
  it("passes the in-memory driver, every test of it", async () => {
    const tests = collectConformance(() => new InMemorySessionPersistDriver());
    const group = tests.filter((t) => /capability: agent state/.test(t.name));
    expect(group.length).toBeGreaterThanOrEqual(12);
    expect(await failingTests(group, /./)).toEqual([]);
  });

  it("passes a driver without the capability (none of its methods), asserting that it has none", async () => {
    const tests = collectConformance(() => new PersistDriver("Plain", baseBackend()) as PersistDriver);
    expect(await failingTests(tests, /capability: agent state/)).toEqual([]);
  });

  it.each(BROKEN)("fails a driver with %s", async (_, create, expected) => {
    const failed = await failingTests(collectConformance(create), /capability: agent state/);
    expect(failed.some((name) => expected.test(name)), `failed:\n${failed.join("\n")}`).toBe(true);
  });
});

describe("the in-memory driver's agent state", () => {
  it("counts toward maxSessions: a session holding only agent state is evicted with its files when least recently written", async () => {
    const driver = new InMemorySessionPersistDriver({ maxSessions: 2 }) as InMemorySessionPersistDriver & AgentStateStorage;
    const bytes = new Uint8Array([1, 2, 3]);
    await driver.appendAgentState("a", "f", 0, bytes);
    await driver.appendAgentState("b", "f", 0, bytes);
    await driver.appendAgentState("a", "f", 3, bytes); // "a" is now the most recently written
    await driver.appendAgentState("c", "f", 0, bytes); // evicts "b"
    expect(await driver.listAgentState("b")).toEqual([]);
    expect((await driver.readAgentState("a", "f"))?.byteLength).toBe(6);
    expect((await driver.readAgentState("c", "f"))?.byteLength).toBe(3);
    // A refused write is not activity.
    await expect(driver.appendAgentState("a", "f", 1, bytes)).rejects.toBeInstanceOf(AgentStateOffsetError);
    await driver.appendAgentState("d", "f", 0, bytes); // evicts "a" (written before "c")
    expect(await driver.listAgentState("a")).toEqual([]);
    expect((await driver.listAgentState("c")).map((f) => f.size)).toEqual([3]);
  });
});
