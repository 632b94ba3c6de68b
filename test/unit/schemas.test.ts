import { describe, expect, it } from "vitest";
import {
  isWellFormedEvent,
  sessionEventSchema,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  MAX_TAIL_LIMIT,
  parseListEventsRequest,
  parseListPageRequest,
  parseSessionEvent,
  parseSessionEvents,
  parseSessionId,
  parseSessionRecord,
  parseTailLimit,
  PersistValidationError,
} from "../../src/persist/index.js";
import { isWellFormedTextByRegex } from "../../src/persist/unicode.js";
import { conformanceFixtures } from "../../src/testing.js";

const { fullRecord, makeEvent, minimalRecord } = conformanceFixtures;

function issues(run: () => unknown): PersistValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PersistValidationError);
    expect((error as PersistValidationError).code).toBe("persist.invalid_input");
    return error as PersistValidationError;
  }
  throw new Error("expected a PersistValidationError");
}

const paths = (error: PersistValidationError) => error.issues.map((i) => i.path);

describe("parseSessionEvent", () => {
  it("accepts a valid event and returns it as given", () => {
    const event = makeEvent("s", 0);
    expect(parseSessionEvent("s", event)).toBe(event);
  });

  it("names every bad field, in the message too", () => {
    const error = issues(() =>
      parseSessionEvent("s", { ...makeEvent("s", 0), eventIndex: -1, sender: "bot", payload: [], createdAt: Number.NaN }),
    );
    expect(paths(error).sort()).toEqual(["event.createdAt", "event.eventIndex", "event.payload", "event.sender"]);
    for (const path of paths(error)) expect(error.message).toContain(path);
  });

  it("refuses an event whose sessionId differs from the session it is stored under", () => {
    const error = issues(() => parseSessionEvent("other", makeEvent("s", 0)));
    expect(paths(error)).toEqual(["event.sessionId"]);
    expect(error.message).toContain('"other"');
  });

  it("refuses a missing event, an unsafe eventIndex and an over-long id", () => {
    expect(paths(issues(() => parseSessionEvent("s", undefined)))).toEqual(["event"]);
    expect(new Set(paths(issues(() => parseSessionEvent("s", { ...makeEvent("s", 0), eventIndex: 2 ** 53 }))))).toEqual(
      new Set(["event.eventIndex"]),
    );
    expect(paths(issues(() => parseSessionEvent("s", { ...makeEvent("s", 0), id: "x".repeat(1025) })))).toEqual(["event.id"]);
  });
});

describe("event payloads that JSON cannot hold", () => {
  it("refuses a cyclic payload and a bigint, naming the payload", () => {
    const cyclic: Record<string, unknown> = { jsonrpc: "2.0", method: "x" };
    cyclic.params = { back: cyclic };
    for (const payload of [cyclic, { jsonrpc: "2.0", method: "x", params: [1, 2n] }]) {
      const error = issues(() => parseSessionEvent("s", { ...makeEvent("s", 0), payload }));
      expect(paths(error)).toEqual(["event.payload"]);
      expect(error.message).toContain("must be JSON-serializable");
    }
    const error = issues(() => parseSessionEvents("s", [makeEvent("s", 0), { ...makeEvent("s", 1), payload: cyclic }]));
    expect(paths(error)).toEqual(["events[1].payload"]);
  });

  it("accepts what JSON.stringify accepts: shared (non-cyclic) references, null, deep nesting", () => {
    const shared = { text: "same" };
    parseSessionEvent("s", { ...makeEvent("s", 0), payload: { jsonrpc: "2.0", method: "x", params: [shared, shared, null] } });
    parseSessionEvent("s", { ...makeEvent("s", 0), payload: conformanceFixtures.deeplyNestedEnvelope(500) });
  });
});

describe("parseSessionEvents", () => {
  it("names the position of the bad event", () => {
    const error = issues(() => parseSessionEvents("s", [makeEvent("s", 0), { ...makeEvent("s", 1), eventIndex: "1" }]));
    expect(paths(error)).toEqual(["events[1].eventIndex"]);
    expect(error.message).toContain("events[1].eventIndex");
  });

  it("refuses a non-array", () => {
    expect(paths(issues(() => parseSessionEvents("s", makeEvent("s", 0))))).toEqual(["events"]);
  });
});

describe("parseSessionRecord", () => {
  it("accepts full and minimal records, and modes: null", () => {
    expect(parseSessionRecord(fullRecord("a"))).toEqual(fullRecord("a"));
    parseSessionRecord(minimalRecord("a"));
    parseSessionRecord({ ...minimalRecord("a"), modes: null });
  });

  it("names each bad field", () => {
    const error = issues(() =>
      parseSessionRecord({ ...minimalRecord("a"), agent: "", destroyedAt: -1, configOptions: [1], modes: "x" }),
    );
    expect(paths(error).sort()).toEqual(["session.agent", "session.configOptions.0", "session.destroyedAt", "session.modes"]);
  });

  it("refuses a record that cannot be stored as JSON", () => {
    const sessionInit: Record<string, unknown> = { cwd: "/", mcpServers: [] };
    sessionInit.self = sessionInit;
    const error = issues(() => parseSessionRecord({ ...minimalRecord("a"), sessionInit }));
    expect(error.message).toContain("JSON-serializable");
  });
});

describe("page requests", () => {
  it("default and clamp the limit", () => {
    expect(parseListPageRequest(undefined)).toEqual({ cursor: undefined, limit: DEFAULT_PAGE_LIMIT });
    expect(parseListPageRequest({ limit: MAX_PAGE_LIMIT + 1 }).limit).toBe(MAX_PAGE_LIMIT);
    expect(parseListEventsRequest({ sessionId: "s", limit: 7, cursor: "c" })).toEqual({ sessionId: "s", cursor: "c", limit: 7 });
  });

  it("name the bad field", () => {
    expect(paths(issues(() => parseListPageRequest({ limit: 0 })))).toEqual(["request.limit"]);
    expect(paths(issues(() => parseListPageRequest({ cursor: "" })))).toEqual(["request.cursor"]);
    expect(paths(issues(() => parseListEventsRequest({ sessionId: "", limit: 1.5 }))).sort()).toEqual([
      "request.limit",
      "request.sessionId",
    ]);
  });

  it("tail limits are positive integers, clamped", () => {
    expect(parseTailLimit(5)).toBe(5);
    expect(parseTailLimit(MAX_TAIL_LIMIT * 2)).toBe(MAX_TAIL_LIMIT);
    expect(paths(issues(() => parseTailLimit(0)))).toEqual(["limit"]);
    expect(paths(issues(() => parseTailLimit("3")))).toEqual(["limit"]);
  });

  it("session ids are non-empty strings; the path is the caller's", () => {
    expect(parseSessionId("s")).toBe("s");
    expect(paths(issues(() => parseSessionId("")))).toEqual(["id"]);
    expect(paths(issues(() => parseSessionId(3, "sessionId")))).toEqual(["sessionId"]);
  });
});

describe("the hand-written event check", () => {
  // Inserts skip zod when isWellFormedEvent says yes, so the two must never disagree.
  const good = { id: "e1", eventIndex: 3, sessionId: "s1", createdAt: 1_700_000_000_000, connectionId: "c", sender: "agent", payload: { jsonrpc: "2.0", method: "m" } };
  const variants: Record<string, unknown[]> = {
    id: ["", "x", "a".repeat(1024), "a".repeat(1025), 7, null, undefined, "e\ud800", "\udc00", "\ude00\ud83d", "\ud83d\ude00", "😀".repeat(512)],
    eventIndex: [0, 1, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 53, NaN, Infinity, "1", null],
    sessionId: ["", "s1", "s".repeat(1025), 1, undefined, "s\udbff", "s😀"],
    createdAt: [0, 1.25, -1, NaN, Infinity, -Infinity, "now", undefined],
    connectionId: ["", "c", 3, null, undefined, "c\ud800", "\udfff", "c🚀"],
    sender: ["agent", "client", "user", "", undefined],
    payload: [{}, { a: 1 }, [], null, "text", 3, undefined, { a: "\ud800" }, { ["\udc00"]: 1 }],
  };

  it("agrees with the zod schema on every single-field variant and on random combinations", () => {
    const cases: unknown[] = [null, undefined, 3, "event", [], {}];
    for (const [field, values] of Object.entries(variants)) for (const value of values) cases.push({ ...good, [field]: value });
    let seed = 42;
    const pick = <T,>(list: readonly T[]): T => list[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % list.length]!;
    for (let i = 0; i < 2000; i++) {
      const event: Record<string, unknown> = {};
      for (const [field, values] of Object.entries(variants)) event[field] = pick([...values, (good as Record<string, unknown>)[field]]);
      cases.push(event);
    }
    for (const event of cases) {
      expect([isWellFormedEvent(event), JSON.stringify(event)]).toEqual([sessionEventSchema.safeParse(event).success, JSON.stringify(event)]);
    }
  });
});

describe("lone UTF-16 surrogates", () => {
  // JSON.stringify writes a well-formed pair as it is and escapes a lone surrogate as \udXXX:
  // an oracle independent of the validators (the generated strings hold no backslash).
  const holdsLone = (value: unknown) => /\\ud[89a-f][0-9a-f]{2}/.test(JSON.stringify(value));
  const strings = ["a", "😀", "日本", "\ud800", "x\udc00", "\ude00\ud83d", "\ud83d\ude00", "\udbff\udfff", "end\ud83d"];

  it("parseSessionEvent refuses exactly the events with a lone surrogate in any string or key, on the fast path and on zod's", () => {
    let seed = 7;
    const pick = <T,>(list: readonly T[]): T => list[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % list.length]!;
    for (let i = 0; i < 3000; i++) {
      const sessionId = `s${pick(strings)}`;
      const event = {
        ...makeEvent(sessionId, 0),
        id: `e${pick(strings)}`,
        connectionId: pick(strings),
        // A negative index sends every other event through zod, which must agree.
        eventIndex: i % 2 === 0 ? 0 : -1,
        payload: { jsonrpc: "2.0", method: "session/update", params: { [pick(strings)]: [{ text: pick(strings) }] } },
      };
      let thrown: unknown;
      try {
        parseSessionEvent(sessionId, event);
      } catch (error) {
        thrown = error;
      }
      expect([thrown !== undefined, JSON.stringify(event)]).toEqual([holdsLone(event) || event.eventIndex < 0, JSON.stringify(event)]);
      if (thrown !== undefined) expect(thrown).toBeInstanceOf(PersistValidationError);
      if (thrown !== undefined && event.eventIndex === 0) expect((thrown as Error).message).toContain("lone UTF-16 surrogate");
    }
  });

  it("names the path down to the string, or to the object whose key holds one (escaped in the message)", () => {
    const event = (params: unknown) => ({ ...makeEvent("s", 0), payload: { jsonrpc: "2.0", method: "m", params } });
    expect(paths(issues(() => parseSessionEvent("s", event({ a: [{ b: "\ud800" }] }))))).toEqual(["event.payload.params.a.0.b"]);
    const keyed = issues(() => parseSessionEvent("s", event({ a: { ["k\udc00"]: 1 } })));
    expect(paths(keyed)).toEqual(["event.payload.params.a"]);
    expect(keyed.message).toContain('"k\\udc00"');
    expect(isWellFormedTextByRegex(keyed.message)).toBe(true);
    const batch = issues(() => parseSessionEvents("s", [makeEvent("s", 0), event(["\udfff"])]));
    expect(paths(batch)).toEqual(["events[1].payload.params.0"]);
  });

  it("parseSessionRecord names every field holding one; ids refuse them too", () => {
    const record = { ...fullRecord("a"), agent: "x\ud800", sessionInit: { cwd: "\udc00", mcpServers: [] }, modes: { currentModeId: "m", availableModes: [], ["\ud800"]: 1 } };
    expect(paths(issues(() => parseSessionRecord(record)))).toEqual(["session.agent"]);
    expect(paths(issues(() => parseSessionRecord({ ...record, agent: "x" }))).sort()).toEqual(["session.modes", "session.sessionInit.cwd"]);
    expect(paths(issues(() => parseSessionId("s\ud800")))).toEqual(["id"]);
    expect(parseSessionRecord({ ...fullRecord("a😀"), agent: "🚀" }).id).toBe("a😀");
  });
});
