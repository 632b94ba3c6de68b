import { describe, expect, it } from "vitest";
import { REPLAY_FOOTER, undeliveredResponse } from "../../src/protocol/envelopes.js";
import { HistoryInputError } from "../../src/history/errors.js";
import {
  buildReplay,
  DEFAULT_REPLAY_MAX_CHARS,
  INITIAL_REPLAY_TAIL,
  loadReplay,
  MIN_REPLAY_MAX_CHARS,
  REPLAY_HEADER,
  replayNeedsMoreHistory,
  resolveReplayCaps,
  withReplay,
} from "../../src/history/replay.js";
import { buildTranscript } from "../../src/history/transcript.js";
import { MAX_TAIL_LIMIT } from "../../src/persist/schemas.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { AcpHistory, chunksOf } from "../support/acp-history.js";

/** A history of `turns` complete turns, each streamed in `chunks` chunks. */
function conversation(turns: number, chunks = 3, answerLength = 60): AcpHistory {
  const h = new AcpHistory().bind();
  for (let t = 0; t < turns; t++) {
    const answer = `Answer ${t}: ${"x".repeat(Math.max(0, answerLength - 12))}`.slice(0, answerLength);
    h.turn(`Question ${t}`, chunksOf(answer, chunks));
  }
  return h;
}

const lines = (text: string) => text.split("\n");

describe("buildReplay", () => {
  it("formats the header, an explanation, the entries oldest first and a closing line", () => {
    const h = new AcpHistory().bind();
    const id = h.prompt("Fix the login test");
    h.toolCall("c1", "Read test/login.test.ts", "read");
    h.toolUpdate("c1", { status: "completed" });
    h.chunk("The test expects 200,\n");
    h.chunk("the handler sends 302.");
    h.end(id);
    h.prompt("Update the handler");
    const replay = buildReplay(h.events);
    expect(replay).not.toBeNull();
    expect(lines(replay!.text)).toEqual([
      REPLAY_HEADER,
      "Earlier conversation, restored because the previous agent session was lost and could not be reloaded: all 5 entries, oldest first.",
      "User: Fix the login test",
      "Tool call: Read test/login.test.ts [read, completed]",
      "Assistant: The test expects 200,",
      "  the handler sends 302.",
      "User: Update the handler",
      "Turn outcome: interrupted, no answer was received (the agent session was lost)",
      `${REPLAY_FOOTER} The user's new message follows.`,
    ]);
    expect(replay).toMatchObject({ omittedEntries: 0, truncated: false, startsAtBeginning: true, capped: false });
    expect(replay!.entries.map((e) => e.kind)).toEqual(["user", "tool_call", "assistant", "user", "outcome"]);
  });

  it("puts the replay in a separate first content block", () => {
    const replay = buildReplay(conversation(1).events)!;
    const prompt = withReplay([{ type: "text", text: "continue" }], replay);
    expect(prompt).toEqual([
      { type: "text", text: replay.text },
      { type: "text", text: "continue" },
    ]);
    expect(withReplay([{ type: "text", text: "continue" }], null)).toEqual([{ type: "text", text: "continue" }]);
  });

  it("returns null when there is nothing worth replaying", () => {
    expect(buildReplay([])).toBeNull();
    expect(buildReplay(new AcpHistory().bind().events)).toBeNull();
    const h = new AcpHistory().bind();
    const id = h.prompt("never sent");
    h.record("client", undeliveredResponse(id, "runtime unreachable"));
    expect(buildReplay(h.events)).toBeNull();
    expect(buildReplay(conversation(2).events, { maxEvents: 0 })).toBeNull();
    expect(buildReplay(conversation(2).events, { maxChars: 0 })).toBeNull();
  });

  it("never replays an undelivered prompt", () => {
    const h = conversation(2);
    const id = h.prompt("SECRET never delivered");
    h.record("client", undeliveredResponse(id, "fetch failed"));
    const replay = buildReplay(h.events)!;
    expect(replay.text).not.toContain("SECRET");
    expect(replay.text).not.toContain("interrupted");
    expect(replay.entries).toHaveLength(4);
  });

  it("does not nest an earlier replay", () => {
    const first = buildReplay(conversation(3).events)!;
    const h = new AcpHistory(900).bind("agent-sess-2");
    const id = h.prompt(withReplay([{ type: "text", text: "And now the tests" }], first));
    h.chunk("Tests written.");
    h.end(id);
    const second = buildReplay(h.events)!;
    expect(second.text.split(REPLAY_HEADER)).toHaveLength(2);
    expect(second.text).toContain("User: And now the tests\nAssistant: Tests written.");
    expect(second.text).not.toContain("Question 0");
  });

  it("counts transcript entries, not envelopes, against maxEvents and keeps the newest", () => {
    const h = conversation(5, 200, 400); // 5 turns of 200 chunks: 10 entries, over 1000 envelopes
    const replay = buildReplay(h.events, { maxEvents: 3 })!;
    expect(h.events.length).toBeGreaterThan(1000);
    const all = buildTranscript(h.events);
    expect(all).toHaveLength(10);
    expect(replay.entries).toEqual(all.slice(7));
    expect(replay.omittedEntries).toBe(7);
    expect(replay.capped).toBe(true);
    expect(replay.text).toContain("the last 3 entries, oldest first (7 older entries omitted).");
    expect(lines(replay.text).slice(2, 5)).toEqual([
      expect.stringMatching(/^Assistant: Answer 3/),
      "User: Question 4",
      expect.stringMatching(/^Assistant: Answer 4/),
    ]);
  });

  it("keeps the newest entries within maxChars, counting the whole text", () => {
    const h = conversation(40, 4, 300);
    const maxChars = 3000;
    const replay = buildReplay(h.events, { maxChars, maxEvents: 1000 })!;
    expect(replay.text.length).toBeLessThanOrEqual(maxChars);
    expect(replay.text.length).toBeGreaterThan(maxChars - 400);
    const all = buildTranscript(h.events);
    expect(replay.omittedEntries).toBeGreaterThan(0);
    expect(replay.entries).toEqual(all.slice(all.length - replay.entries.length));
    expect(replay.omittedEntries + replay.entries.length).toBe(all.length);
    expect(replay.text).toContain("Answer 39");
    expect(replay.text).not.toContain("Question 0\n");
    expect(replay.text.endsWith(`${REPLAY_FOOTER} The user's new message follows.`)).toBe(true);
  });

  it("applies both caps together: whichever bites first", () => {
    const h = conversation(30, 2, 200);
    const all = buildTranscript(h.events);
    const byCount = buildReplay(h.events, { maxEvents: 4, maxChars: DEFAULT_REPLAY_MAX_CHARS })!;
    expect(byCount.entries).toHaveLength(4);
    expect(byCount.truncated).toBe(false);
    const byChars = buildReplay(h.events, { maxEvents: 50, maxChars: 1500 })!;
    expect(byChars.entries.length).toBeLessThan(50);
    expect(byChars.text.length).toBeLessThanOrEqual(1500);
    expect(byChars.entries).toEqual(all.slice(all.length - byChars.entries.length));
    const defaults = buildReplay(h.events)!;
    expect(defaults.entries).toEqual(all.slice(10)); // 60 entries, 50 fit in 12000 chars
    expect(defaults.text.length).toBeLessThanOrEqual(DEFAULT_REPLAY_MAX_CHARS);
  });

  it("keeps the end of a newest entry that alone exceeds maxChars, behind a marker", () => {
    const h = new AcpHistory().bind();
    h.turn("Small question", ["ok"]);
    const huge = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join(" ") + " THE CONCLUSION";
    h.turn("Dump everything", chunksOf(huge, 300));
    h.record("client", { jsonrpc: "2.0", method: "session/cancel", params: { sessionId: h.agentSessionId } });
    const replay = buildReplay(h.events, { maxChars: 2000 })!;
    expect(replay.text.length).toBeLessThanOrEqual(2000);
    expect(replay.truncated).toBe(true);
    expect(replay.entries).toHaveLength(1);
    expect(replay.omittedEntries).toBe(3);
    const entryLine = lines(replay.text)[2]!;
    expect(entryLine).toMatch(/^Assistant: \[\.\.\. \d+ earlier characters cut\] /);
    expect(entryLine.endsWith("line 4999 THE CONCLUSION")).toBe(true);
    const cut = Number(/\[\.\.\. (\d+) earlier/.exec(entryLine)![1]);
    expect(huge.slice(cut)).toBe(entryLine.slice(entryLine.indexOf("] ") + 2));
  });

  it("cuts an older entry that does not fit whole when enough room is left", () => {
    const h = new AcpHistory().bind();
    h.turn("Long one", ["y".repeat(5000)]);
    h.turn("Short", ["done"]);
    const replay = buildReplay(h.events, { maxChars: 1500 })!;
    expect(replay.entries.map((e) => e.kind)).toEqual(["assistant", "user", "assistant"]);
    expect(replay.truncated).toBe(true);
    expect(replay.omittedEntries).toBe(1);
    expect(replay.text).toMatch(/Assistant: \[\.\.\. \d+ earlier characters cut\] y+\nUser: Short\nAssistant: done\n/);
    expect(replay.text.length).toBeLessThanOrEqual(1500);
    expect(replay.text.length).toBeGreaterThan(1300);
  });

  it("never splits a surrogate pair when cutting", () => {
    const h = new AcpHistory().bind();
    h.turn("emoji", ["🙂".repeat(3000)]);
    for (const maxChars of [1000, 1001, 1002, 1003]) {
      const replay = buildReplay(h.events, { maxChars })!;
      const body = lines(replay.text)[2]!.replace(/^Assistant: \[\.\.\. \d+ earlier characters cut\] /, "");
      expect(body).toMatch(/^(🙂)+$/u);
      expect(replay.text.length).toBeLessThanOrEqual(maxChars);
    }
  });

  it("says when the events read do not start at the beginning of the history", () => {
    const h = conversation(10);
    const tail = h.tailFrom(h.events[h.events.length - 12]!.eventIndex);
    const replay = buildReplay(tail)!;
    expect(replay.startsAtBeginning).toBe(false);
    expect(replay.omittedEntries).toBe(0);
    expect(replay.text).toContain("oldest first (older entries omitted).");
    expect(replayNeedsMoreHistory(tail, replay)).toBe(true);
  });

  it("marks the cut-off start of a turn read mid-way", () => {
    const h = new AcpHistory().bind();
    const id = h.prompt("Explain");
    for (let i = 0; i < 10; i++) h.chunk(`part${i} `);
    h.end(id);
    const replay = buildReplay(h.events.slice(-4))!;
    expect(lines(replay.text)[2]).toBe("Assistant: [... beginning not available] part7 part8 part9");
    expect(replayNeedsMoreHistory(h.events.slice(-4), replay)).toBe(true);
  });

  it("refuses unusable caps with a typed error", () => {
    const events = conversation(1).events;
    for (const caps of [{ maxEvents: -1 }, { maxEvents: 1.5 }, { maxEvents: Number.NaN }, { maxChars: 10 }, { maxChars: -5 }]) {
      expect(() => buildReplay(events, caps)).toThrow(HistoryInputError);
    }
    expect(resolveReplayCaps()).toEqual({ maxEvents: 50, maxChars: 12_000 });
    expect(resolveReplayCaps({ maxChars: MIN_REPLAY_MAX_CHARS })).toEqual({ maxEvents: 50, maxChars: MIN_REPLAY_MAX_CHARS });
  });

  it("builds a replay from thousands of events", () => {
    const h = new AcpHistory().bind();
    for (let t = 0; t < 40; t++) {
      const id = h.prompt(`q${t}`);
      for (let c = 0; c < 250; c++) {
        if (c % 50 === 0) h.toolCall(`t${t}-${c}`, `step ${c}`, "execute", "in_progress");
        h.chunk(`${c},`);
        if (c % 50 === 49) h.toolUpdate(`t${t}-${c - 49}`, { status: "completed" });
      }
      h.end(id);
    }
    expect(h.events.length).toBeGreaterThan(10_000);
    const replay = buildReplay(h.events)!;
    expect(replay.entries).toHaveLength(50);
    expect(replay.text.length).toBeLessThanOrEqual(DEFAULT_REPLAY_MAX_CHARS);
    expect(replay.text).toContain("Tool call: step 200 [execute, completed]");
    expect(replay.text).toContain("User: q39");
  });
});

describe("reading enough history", () => {
  it("needs no more history once the start is read, the store ran out, or a cap bites", () => {
    const h = conversation(30);
    const whole = h.events;
    expect(replayNeedsMoreHistory(whole, buildReplay(whole))).toBe(false);
    expect(replayNeedsMoreHistory([], null)).toBe(false);
    const tail = whole.slice(-40);
    expect(replayNeedsMoreHistory(tail, buildReplay(tail), 40)).toBe(true);
    expect(replayNeedsMoreHistory(tail, buildReplay(tail), 41)).toBe(false); // fewer than asked: nothing older
    expect(replayNeedsMoreHistory(tail, buildReplay(tail, { maxEvents: 5 }), 40)).toBe(false);
    const noise = new AcpHistory(70).bind().events;
    expect(replayNeedsMoreHistory(noise, buildReplay(noise))).toBe(true);
  });

  /** A fake store tail reader that logs the limits asked for. */
  function reader(events: SessionEvent[]) {
    const asked: number[] = [];
    const read = async (limit: number) => {
      asked.push(limit);
      return events.slice(Math.max(0, events.length - Math.min(limit, MAX_TAIL_LIMIT)));
    };
    return { asked, read };
  }

  it("reads one tail when the session is short", async () => {
    const h = conversation(5);
    const { asked, read } = reader(h.events);
    const replay = await loadReplay(read);
    expect(asked).toEqual([INITIAL_REPLAY_TAIL]);
    expect(replay).toEqual(buildReplay(h.events));
  });

  it("reads larger tails until the caps bite", async () => {
    // Turns of 600 streamed chunks: 50 entries need far more than the first tail.
    const h = conversation(40, 600, 600);
    const { asked, read } = reader(h.events);
    const replay = (await loadReplay(read, { maxEvents: 20, maxChars: 100_000 }))!;
    expect(asked).toEqual([INITIAL_REPLAY_TAIL, INITIAL_REPLAY_TAIL * 4, MAX_TAIL_LIMIT]);
    const all = buildTranscript(h.events);
    expect(replay.entries).toEqual(all.slice(-20));
    expect(replay.entries[0]?.partial).toBeUndefined();
  });

  it("stops at the largest tail a store returns", async () => {
    const h = conversation(30, 1000, 1000); // over 30000 events, each turn 2 entries
    const { asked, read } = reader(h.events);
    const replay = (await loadReplay(read, { maxEvents: 50, maxChars: 200_000 }))!;
    expect(asked.at(-1)).toBe(MAX_TAIL_LIMIT);
    expect(replay.startsAtBeginning).toBe(false);
    expect(replay.entries.length).toBeLessThan(50);
  });

  it("reads nothing when the replay is disabled", async () => {
    const { asked, read } = reader(conversation(2).events);
    expect(await loadReplay(read, { maxEvents: 0 })).toBeNull();
    expect(asked).toEqual([]);
  });
});
