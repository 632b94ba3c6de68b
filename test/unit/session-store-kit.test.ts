import { foldSessionSummary, type SessionStoreEntry } from "@anthropic-ai/claude-agent-sdk";
import { describe, expect, it } from "vitest";
import { SQLiteSessionStore } from "../../drivers/sqlite.js";
import { entriesToStore, prepareEntries } from "../../src/session-store/entries.js";
import { summaryFolder } from "../../src/session-store/fold.js";
import { parseProjectKey, parseSessionRef, parseTranscriptKey, transcriptKeyString } from "../../src/session-store/keys.js";
import { KnownStates } from "../../src/session-store/known-states.js";
import { KeyedQueue } from "../../src/session-store/queue.js";
import type { PreparedEntry } from "../../src/session-store/types.js";
import { describeSessionStoreConformance, sessionStoreConformanceTestIds } from "../../src/testing.js";

// The session store kit on its own: keys and entries checked, the replay rule, call order per
// key, the summary fold loader, the store's closed state, and the conformance suite's own rules.

/** The issues of the PersistValidationError `run` throws. */
function issuesOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect((error as Error).name).toBe("PersistValidationError");
    expect((error as { code?: string }).code).toBe("persist.invalid_input");
    return (error as { issues: { path: string; message: string }[] }).issues;
  }
  throw new Error("expected a PersistValidationError");
}

describe("session store keys", () => {
  it("take a main key as subpath '' and keep a subpath as it is", () => {
    expect(parseTranscriptKey({ projectKey: "p/q", sessionId: "s:1" })).toEqual({ projectKey: "p/q", sessionId: "s:1", subpath: "" });
    expect(parseTranscriptKey({ projectKey: "p", sessionId: "s", subpath: "subagents/a/b" }).subpath).toBe("subagents/a/b");
    expect(parseSessionRef({ projectKey: "p", sessionId: "s" })).toEqual({ projectKey: "p", sessionId: "s" });
    expect(parseProjectKey("日本語 😀")).toBe("日本語 😀");
  });

  it("refuse every malformed part at once, naming each", () => {
    expect(issuesOf(() => parseTranscriptKey({ projectKey: "", sessionId: 3, subpath: "" })).map((i) => i.path)).toEqual([
      "key.projectKey",
      "key.sessionId",
      "key.subpath",
    ]);
    expect(issuesOf(() => parseTranscriptKey({ projectKey: "a\u0000b", sessionId: "\ud800" })).map((i) => i.message)).toEqual([
      "must not contain U+0000",
      expect.stringContaining("well-formed"),
    ]);
    expect(issuesOf(() => parseTranscriptKey(null))[0]?.path).toBe("key");
    expect(issuesOf(() => parseProjectKey(""))[0]?.path).toBe("projectKey");
  });

  it("make one string per key that parts cannot run into", () => {
    const a = transcriptKeyString({ projectKey: "a/b", sessionId: "c", subpath: "" });
    const b = transcriptKeyString({ projectKey: "a", sessionId: "b/c", subpath: "" });
    expect(a).not.toBe(b);
  });
});

describe("session store entries", () => {
  const entry = (uuid?: unknown): SessionStoreEntry => ({ type: "user", ...(uuid === undefined ? {} : { uuid }) }) as SessionStoreEntry;

  it("are JSON text with their uuid, the later repeats of a uuid in a batch dropped", () => {
    const prepared = prepareEntries([entry("a"), entry(), entry("b"), { ...entry("a"), changed: true }, entry(), entry(null)]);
    expect(prepared.map((e) => e.uuid)).toEqual(["a", null, "b", null, null]);
    expect(prepared[0]?.json).toBe('{"type":"user","uuid":"a"}');
  });

  it("refuse what is not a batch of JSON objects with string uuids, naming each entry", () => {
    expect(issuesOf(() => prepareEntries({}))[0]?.path).toBe("entries");
    const issues = issuesOf(() => prepareEntries([entry("ok"), "text", [], entry(7), { type: "x", n: 1n }, entry("a\u0000")]));
    expect(issues.map((i) => i.path)).toEqual(["entries[1]", "entries[2]", "entries[3].uuid", "entries[4]", "entries[5].uuid"]);
  });

  it("follow the replay rule: stored uuids left out; a batch whose every uuid is stored is a replay", () => {
    const batch: PreparedEntry[] = prepareEntries([entry(), entry("a"), entry("b"), entry()]);
    const stored = (...uuids: string[]) => (uuid: string) => uuids.includes(uuid);
    expect(entriesToStore(batch, stored())).toBe(batch);
    expect(entriesToStore(batch, stored("a")).map((e) => e.uuid)).toEqual([null, "b", null]);
    expect(entriesToStore(batch, stored("a", "b"))).toEqual([]);
    const markers = prepareEntries([entry(), entry()]);
    expect(entriesToStore(markers, () => true)).toBe(markers);
  });
});

describe("KeyedQueue", () => {
  it("runs one key's tasks in call order, the next after a failure too, and other keys alongside", async () => {
    const queue = new KeyedQueue();
    const order: string[] = [];
    const task = (name: string, ms: number, fail = false) => async () => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      order.push(name);
      if (fail) throw new Error(name);
      return name;
    };
    const results = [
      queue.run("k", task("k1", 30)),
      queue.run("k", task("k2", 1, true)),
      queue.run("k", task("k3", 1)),
      queue.run("other", task("o1", 5)),
    ];
    const settled = await Promise.allSettled(results);
    expect(order).toEqual(["o1", "k1", "k2", "k3"]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    await queue.idle();
  });
});

describe("KnownStates", () => {
  it("keeps the most recently used states, up to its capacity", () => {
    const states = new KnownStates(2);
    const state = (id: string) => ({ id, lastSeq: 1, data: {} });
    states.set("a", state("a"));
    states.set("b", state("b"));
    states.get("a");
    states.set("c", state("c"));
    expect([states.get("a")?.id, states.get("b"), states.get("c")?.id]).toEqual(["a", undefined, "c"]);
  });
});

describe("the summary fold", () => {
  it("is the SDK's when none is given, the given one otherwise; a fold that is not a function is refused", async () => {
    expect(await summaryFolder(undefined)()).toBe(foldSessionSummary);
    const mine = ((prev, key) => ({ sessionId: key.sessionId, mtime: 0, data: { mine: true, prev: prev !== undefined } })) as typeof foldSessionSummary;
    expect(await summaryFolder(mine)()).toBe(mine);
    expect(() => summaryFolder("fold" as never)).toThrow(TypeError);
  });

  it("given in the options, is what the store folds with", async () => {
    const fold = ((prev, key, entries) => ({
      sessionId: key.sessionId,
      mtime: 0,
      data: { count: Number(prev?.data.count ?? 0) + entries.length },
    })) as typeof foldSessionSummary;
    const store = new SQLiteSessionStore({ filename: ":memory:", foldSessionSummary: fold });
    const key = { projectKey: "p", sessionId: "s" };
    await store.append(key, [{ type: "a", uuid: "1" }, { type: "b" }]);
    await store.append(key, [{ type: "a", uuid: "1" }, { type: "c", uuid: "2" }]);
    expect((await store.listSessionSummaries("p"))[0]?.data).toEqual({ count: 3 });
    await store.close();
  });
});

describe("BackedSessionStore", () => {
  it("lets queued appends finish on close, then refuses every call with DriverClosedError", async () => {
    const store = new SQLiteSessionStore({ filename: ":memory:" });
    const key = { projectKey: "p", sessionId: "s" };
    const appends = Array.from({ length: 5 }, (_, i) => store.append(key, [{ type: "user", uuid: `u${i}` }]));
    const loaded = store.load(key);
    await store.close();
    await Promise.all(appends);
    await loaded;
    for (const call of [() => store.append(key, []), () => store.load(key), () => store.listSessions("p"), () => store.delete(key)]) {
      await expect(call()).rejects.toMatchObject({ name: "DriverClosedError", code: "persist.closed" });
    }
    await store.close();
  });

  it("refuses bad input before anything is stored", async () => {
    const store = new SQLiteSessionStore({ filename: ":memory:" });
    await expect(store.append({ projectKey: "p", sessionId: "s", subpath: "" }, [{ type: "x" }])).rejects.toMatchObject({
      name: "PersistValidationError",
      issues: [{ path: "key.subpath" }],
    });
    await expect(store.append({ projectKey: "p", sessionId: "s" }, [{ type: "x" }, 5 as never])).rejects.toMatchObject({
      issues: [{ path: "entries[1]" }],
    });
    await expect(store.pruneSessions({ before: Number.NaN })).rejects.toMatchObject({ issues: [{ path: "options.before" }] });
    expect(await store.listSessions("p")).toEqual([]);
    await store.close();
  });
});

describe("describeSessionStoreConformance", () => {
  const noop = () => undefined;
  const test = { describe: noop, it: noop, beforeEach: noop, afterEach: noop };

  it("lists its tests by unique ids", () => {
    const ids = sessionStoreConformanceTestIds();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain("uuid.replayed-markers");
    expect(ids.length).toBeGreaterThanOrEqual(37);
  });

  it("refuses an expected failure it has no test for, and expected failures without test.fails", () => {
    expect(() =>
      describeSessionStoreConformance({ name: "x", createStore: () => ({}) as never, test: { ...test, fails: noop }, expectedFailures: { "no.such": "?" } }),
    ).toThrow(RangeError);
    expect(() =>
      describeSessionStoreConformance({ name: "x", createStore: () => ({}) as never, test, expectedFailures: { "append.load": "?" } }),
    ).toThrow(TypeError);
  });
});
