import { describe, expect, it } from "vitest";
import {
  isReplayBlock,
  isUndeliveredResponse,
  REPLAY_FOOTER,
  REPLAY_HEADER,
  UNDELIVERED_ERROR_CODE,
  undeliveredResponse,
} from "../../src/protocol/envelopes.js";
import { HistoryInputError } from "../../src/history/errors.js";
import { buildReplay } from "../../src/history/replay.js";
import { eventsLostDetails, eventsLostMarker, isEventsLostMarker } from "../../src/protocol/events-lost.js";
import { buildTranscript, type TranscriptEntry } from "../../src/history/transcript.js";
import { AcpHistory, chunksOf } from "../support/acp-history.js";

/** Entries without their event indexes, for readable expectations. */
const shape = (entries: TranscriptEntry[]) => entries.map(({ eventIndex: _, ...rest }) => rest);

describe("envelope helpers", () => {
  it("marks undelivered prompts with a recognisable JSON-RPC error response", () => {
    const env = undeliveredResponse(7, "runtime unreachable");
    expect(env).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: {
        code: UNDELIVERED_ERROR_CODE,
        message: "Request not delivered: runtime unreachable",
        data: { durableAgent: "undelivered", reason: "runtime unreachable" },
      },
    });
    expect(isUndeliveredResponse(env)).toBe(true);
    expect(isUndeliveredResponse(undeliveredResponse("req-1", "x"))).toBe(true);
  });

  it("does not mistake other responses for undelivered ones", () => {
    expect(isUndeliveredResponse({ jsonrpc: "2.0", id: 1, error: { code: -32603, message: "Internal error" } })).toBe(false);
    expect(isUndeliveredResponse({ jsonrpc: "2.0", id: 1, error: { code: UNDELIVERED_ERROR_CODE, message: "x" } })).toBe(false);
    expect(isUndeliveredResponse({ jsonrpc: "2.0", id: 1, result: { stopReason: "end_turn" } })).toBe(false);
    expect(isUndeliveredResponse({ jsonrpc: "2.0", method: "session/cancel", params: {} })).toBe(false);
  });

  it("recognises replay blocks by their header", () => {
    expect(isReplayBlock({ type: "text", text: `${REPLAY_HEADER}\nUser: hi` })).toBe(true);
    expect(isReplayBlock({ type: "text", text: `hello ${REPLAY_HEADER}` })).toBe(false);
    expect(isReplayBlock({ type: "image", data: "AAAA", mimeType: "image/png" })).toBe(false);
  });
});

describe("buildTranscript", () => {
  it("merges all agent_message_chunks of a turn into one entry and leaves protocol noise out", () => {
    const h = new AcpHistory().bind();
    h.turn("What does main.ts do?", ["It boot", "straps the ", "server", " and exits."]);
    h.update({ sessionUpdate: "plan", entries: [{ content: "read", priority: "high", status: "pending" }] });
    h.turn("Thanks", ["You're welcome."]);
    expect(shape(buildTranscript(h.events))).toEqual([
      { kind: "user", text: "What does main.ts do?" },
      { kind: "assistant", text: "It bootstraps the server and exits." },
      { kind: "user", text: "Thanks" },
      { kind: "assistant", text: "You're welcome." },
    ]);
  });

  it("keeps a turn of many chunks as one entry with the whole text", () => {
    const h = new AcpHistory().bind();
    const reply = "word ".repeat(2000).trim();
    h.turn("go", chunksOf(reply, 500));
    const entries = buildTranscript(h.events);
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({ kind: "assistant", text: reply });
  });

  it("summarises non-text prompt blocks", () => {
    const h = new AcpHistory().bind();
    const id = h.prompt([
      { type: "text", text: "Compare these" },
      { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" },
      { type: "resource_link", name: "spec.md", uri: "file:///work/app/spec.md" },
      { type: "resource", resource: { uri: "file:///work/app/a.ts", text: "export const a = 1;" } },
    ]);
    h.end(id);
    expect(shape(buildTranscript(h.events))).toEqual([
      { kind: "user", text: "Compare these\n[image]\n[resource: file:///work/app/spec.md]\n[resource: file:///work/app/a.ts]" },
    ]);
  });

  it("merges a tool call and its updates into one entry placed before the turn's answer", () => {
    const h = new AcpHistory().bind();
    const id = h.prompt("Fix the failing test");
    h.chunk("Let me look at the test.");
    h.toolCall("call_1", "Read file", "read");
    h.toolUpdate("call_1", { status: "in_progress", title: "Read test/login.test.ts" });
    h.toolUpdate("call_1", { status: "completed", output: "expect(res.status).toBe(200)" });
    h.toolCall("call_2", "Run npm test", "execute", "in_progress");
    h.toolUpdate("call_2", { status: "failed" });
    h.chunk("The assertion expects 200.");
    h.end(id);
    expect(shape(buildTranscript(h.events))).toEqual([
      { kind: "user", text: "Fix the failing test" },
      { kind: "tool_call", toolCallId: "call_1", title: "Read test/login.test.ts", toolKind: "read", status: "completed" },
      { kind: "tool_call", toolCallId: "call_2", title: "Run npm test", toolKind: "execute", status: "failed" },
      { kind: "assistant", text: "Let me look at the test.\nThe assertion expects 200." },
    ]);
  });

  it("records the user's answer to a permission request on the tool call", () => {
    const h = new AcpHistory().bind();
    const id = h.prompt("Delete the build dir, then the cache");
    h.toolCall("call_1", "rm -rf build", "delete");
    const ask1 = h.askPermission("call_1");
    h.answerPermission(ask1, "allow");
    h.toolUpdate("call_1", { status: "completed" });
    h.toolCall("call_2", "rm -rf .cache", "delete");
    const ask2 = h.askPermission("call_2");
    h.answerPermission(ask2, "reject");
    h.toolUpdate("call_2", { status: "failed" });
    h.toolCall("call_3", "rm -rf tmp", "delete");
    const ask3 = h.askPermission("call_3");
    h.answerPermission(ask3, null);
    h.end(id, "cancelled");
    const tools = buildTranscript(h.events).filter((e) => e.kind === "tool_call");
    expect(tools.map((t) => (t.kind === "tool_call" ? [t.title, t.status, t.permission] : []))).toEqual([
      ["rm -rf build", "completed", "allow_once"],
      ["rm -rf .cache", "failed", "reject_once"],
      ["rm -rf tmp", "pending", "cancelled"],
    ]);
  });

  it("does not confuse the client's answer to an agent request with the response to a prompt of the same id", () => {
    const h = new AcpHistory().bind(); // client ids 0 and 1 are used by initialize and session/new
    const id = h.prompt("Edit it"); // client id 2
    h.toolCall("call_1", "Edit a.ts", "edit");
    h.askPermission("call_1"); // agent id 0
    h.askPermission("call_1"); // agent id 1
    h.askPermission("call_1"); // agent id 2: same number as the prompt
    h.answerPermission(2, "allow");
    h.chunk("Done.");
    // No response to the prompt: the runtime died mid-turn.
    const entries = shape(buildTranscript(h.events));
    expect(id).toBe(2);
    expect(entries.at(-1)).toEqual({ kind: "outcome", outcome: "interrupted" });
  });

  it("drops a prompt that never reached the runtime, entirely", () => {
    const h = new AcpHistory().bind();
    h.turn("First question", ["First answer."]);
    const lost = h.prompt("This one never left the client");
    h.record("client", undeliveredResponse(lost, "fetch failed: ECONNREFUSED"));
    h.turn("Second question", ["Second answer."]);
    const entries = buildTranscript(h.events);
    expect(shape(entries)).toEqual([
      { kind: "user", text: "First question" },
      { kind: "assistant", text: "First answer." },
      { kind: "user", text: "Second question" },
      { kind: "assistant", text: "Second answer." },
    ]);
    expect(JSON.stringify(entries)).not.toContain("never left");
  });

  it("marks a turn with no response at all as interrupted, also at the end of the history", () => {
    const h = new AcpHistory().bind();
    h.prompt("Refactor the router");
    h.chunk("Starting with routes.ts");
    h.toolCall("call_1", "Edit routes.ts", "edit", "in_progress");
    // Runtime died; the client rebinds and prompts again.
    h.bind("agent-sess-2");
    h.prompt("Are you still there?");
    h.chunk("Yes.");
    const entries = shape(buildTranscript(h.events));
    expect(entries).toEqual([
      { kind: "user", text: "Refactor the router" },
      { kind: "tool_call", toolCallId: "call_1", title: "Edit routes.ts", toolKind: "edit", status: "in_progress" },
      { kind: "assistant", text: "Starting with routes.ts" },
      { kind: "outcome", outcome: "interrupted" },
      { kind: "user", text: "Are you still there?" },
      { kind: "assistant", text: "Yes." },
      { kind: "outcome", outcome: "interrupted" },
    ]);
  });

  it("reports cancelled, refused and failed turns, not normal ends", () => {
    const h = new AcpHistory().bind();
    const a = h.prompt("Long task");
    h.chunk("Working");
    h.cancel();
    h.end(a, "cancelled");
    h.turn("Something forbidden", [], "refusal");
    const c = h.prompt("Crash please");
    h.respondError(c, -32603, "Internal error: agent process exited");
    h.turn("Fine", ["ok"], "end_turn");
    expect(shape(buildTranscript(h.events))).toEqual([
      { kind: "user", text: "Long task" },
      { kind: "assistant", text: "Working" },
      { kind: "outcome", outcome: "cancelled" },
      { kind: "user", text: "Something forbidden" },
      { kind: "outcome", outcome: "refusal" },
      { kind: "user", text: "Crash please" },
      { kind: "outcome", outcome: "error", detail: "Internal error: agent process exited" },
      { kind: "user", text: "Fine" },
      { kind: "assistant", text: "ok" },
    ]);
  });

  it("skips replay blocks in prompts so replays never nest", () => {
    const h = new AcpHistory().bind();
    const replayText = `${REPLAY_HEADER}\nEarlier conversation...\nUser: old question\nAssistant: old answer\n${REPLAY_FOOTER} The user's new message follows.`;
    const id = h.prompt([
      { type: "text", text: replayText },
      { type: "text", text: "New question" },
    ]);
    h.chunk("New answer");
    h.end(id);
    const entries = buildTranscript(h.events);
    expect(shape(entries)).toEqual([
      { kind: "user", text: "New question" },
      { kind: "assistant", text: "New answer" },
    ]);
  });

  it("keeps the user's text when an agent replays a replay-prefixed prompt as one merged chunk", () => {
    const h = new AcpHistory().bind();
    const load = h.load("agent-sess-9");
    h.userChunk(`${REPLAY_HEADER}\nUser: old\n${REPLAY_FOOTER} The user's new message follows.\nNew question`);
    h.chunk("New answer");
    h.respond(load, {});
    expect(shape(buildTranscript(h.events))).toEqual([
      { kind: "user", text: "New question" },
      { kind: "assistant", text: "New answer" },
    ]);
  });

  it("keeps history replayed by session/load, without duplicating turns already recorded", () => {
    const h = new AcpHistory().bind("agent-sess-1", true);
    h.turn("Q1", ["A1"]);
    h.turn("Q2", ["A", "2"]);
    // Runtime restart: the client reloads the agent session, which replays its history.
    const load = h.load("agent-sess-1");
    h.userChunk("Q1").chunk("A1").userChunk("Q2").chunk("A").chunk("2");
    h.respond(load, { modes: { currentModeId: "code", availableModes: [] } });
    h.turn("Q3", ["A3"]);
    expect(shape(buildTranscript(h.events)).map((e) => ("text" in e ? e.text : e.kind))).toEqual([
      "Q1",
      "A1",
      "Q2",
      "A2",
      "Q3",
      "A3",
    ]);
  });

  it("uses loaded history when the recorded turns of that agent session are not in the events", () => {
    const h = new AcpHistory(500);
    h.bind("agent-sess-7", true);
    const load = h.load("agent-sess-7");
    h.userChunk("Old ").userChunk("question");
    h.chunk("Old ").chunk("answer");
    h.toolCall("t1", "Read a.ts", "read", "completed");
    h.userChunk("Second");
    h.chunk("Reply");
    h.respond(load, {});
    h.turn("Live question", ["Live answer"]);
    expect(shape(buildTranscript(h.events))).toEqual([
      { kind: "user", text: "Old question" },
      { kind: "tool_call", toolCallId: "t1", title: "Read a.ts", toolKind: "read", status: "completed" },
      { kind: "assistant", text: "Old answer" },
      { kind: "user", text: "Second" },
      { kind: "assistant", text: "Reply" },
      { kind: "user", text: "Live question" },
      { kind: "assistant", text: "Live answer" },
    ]);
  });

  it("does not replay a second load of the same agent session twice", () => {
    const h = new AcpHistory(100);
    for (let i = 0; i < 2; i++) {
      h.bind("agent-sess-7", true);
      const load = h.load("agent-sess-7");
      h.userChunk("Old question").chunk("Old answer");
      h.respond(load, {});
    }
    expect(shape(buildTranscript(h.events)).map((e) => e.kind)).toEqual(["user", "assistant"]);
  });

  it("records accepted mode changes once and ignores rejected ones", () => {
    const h = new AcpHistory().bind(); // starts in "code": not a change
    h.update({ sessionUpdate: "current_mode_update", currentModeId: "code" });
    const ok = h.request("session/set_mode", { sessionId: h.agentSessionId, modeId: "architect" });
    h.respond(ok, {});
    h.update({ sessionUpdate: "current_mode_update", currentModeId: "architect" }); // echo, same mode
    const bad = h.request("session/set_mode", { sessionId: h.agentSessionId, modeId: "yolo" });
    h.respondError(bad, -32602, "Unknown mode");
    h.turn("Plan the work", ["Plan: ..."]);
    expect(shape(buildTranscript(h.events))).toEqual([
      { kind: "mode", modeId: "architect" },
      { kind: "user", text: "Plan the work" },
      { kind: "assistant", text: "Plan: ..." },
    ]);
  });

  it("marks entries whose start lies before a tail that does not begin at eventIndex 0", () => {
    const h = new AcpHistory().bind();
    h.turn("Old", ["old"]);
    const id = h.prompt("Write the docs");
    h.toolCall("call_9", "Write README.md", "edit", "in_progress");
    h.chunk("Here is the first half, ");
    const cut = h.events.length;
    h.toolUpdate("call_9", { status: "completed" });
    h.chunk("and here the second half.");
    h.end(id);
    h.turn("Next", ["next"]);
    const tail = h.events.slice(cut);
    expect(shape(buildTranscript(tail))).toEqual([
      { kind: "tool_call", toolCallId: "call_9", title: "", status: "completed", partial: true },
      { kind: "assistant", text: "and here the second half.", partial: true },
      { kind: "user", text: "Next" },
      { kind: "assistant", text: "next" },
    ]);
    // The whole history gives the complete turn.
    expect(shape(buildTranscript(h.events))[3]).toEqual({
      kind: "tool_call",
      toolCallId: "call_9",
      title: "Write README.md",
      toolKind: "edit",
      status: "completed",
    });
  });

  it("appends agent chunks recorded after the prompt's response to that turn", () => {
    const h = new AcpHistory().bind();
    const id = h.prompt("Hi");
    h.chunk("Hel");
    h.end(id);
    h.chunk("lo!"); // delivered by the event stream after the HTTP response
    h.turn("Bye", ["Bye!"]);
    expect(shape(buildTranscript(h.events)).slice(0, 2)).toEqual([
      { kind: "user", text: "Hi" },
      { kind: "assistant", text: "Hello!" },
    ]);
  });

  it("leaves thoughts out unless asked for", () => {
    const h = new AcpHistory().bind();
    const id = h.prompt("Why?");
    h.thought("The user asks ").thought("why.");
    h.chunk("Because.");
    h.end(id);
    expect(buildTranscript(h.events).map((e) => e.kind)).toEqual(["user", "assistant"]);
    expect(shape(buildTranscript(h.events, { includeThoughts: true }))).toEqual([
      { kind: "user", text: "Why?" },
      { kind: "thought", text: "The user asks why." },
      { kind: "assistant", text: "Because." },
    ]);
  });

  it("skips malformed envelopes instead of failing", () => {
    const h = new AcpHistory().bind();
    h.record("agent", { jsonrpc: "2.0", method: "session/update", params: null });
    h.record("agent", { jsonrpc: "2.0", method: "session/update", params: { update: { sessionUpdate: "agent_message_chunk" } } });
    h.record("client", { jsonrpc: "2.0", id: 99, method: "session/prompt", params: { prompt: "not an array" } });
    h.turn("Real", ["reply"]);
    expect(shape(buildTranscript(h.events))).toEqual([
      { kind: "user", text: "Real" },
      { kind: "assistant", text: "reply" },
    ]);
  });

  it("refuses events out of eventIndex order with a typed error", () => {
    const h = new AcpHistory().bind();
    h.turn("a", ["b"]);
    const shuffled = [...h.events];
    [shuffled[1], shuffled[2]] = [shuffled[2]!, shuffled[1]!];
    expect(() => buildTranscript(shuffled)).toThrow(HistoryInputError);
    expect(() => buildTranscript([h.events[0]!, h.events[0]!])).toThrow(/strictly ascending/);
  });

  it("handles tens of thousands of streamed chunks", () => {
    const h = new AcpHistory().bind();
    for (let t = 0; t < 20; t++) {
      const id = h.prompt(`question ${t}`);
      for (let c = 0; c < 1000; c++) h.chunk(`${t}:${c} `);
      h.end(id);
    }
    const entries = buildTranscript(h.events);
    expect(h.events.length).toBeGreaterThan(20_000);
    expect(entries).toHaveLength(40);
    const last = entries[39];
    expect(last?.kind === "assistant" && last.text.startsWith("19:0 19:1 ") && last.text.endsWith("19:999")).toBe(true);
  });
});

describe("buildTranscript: messages lost in transit", () => {
  const marker = (count: number) =>
    eventsLostMarker({ connectionId: "conn-1", fromStreamId: 10, toStreamId: 9 + count, count, reason: "skipped by the runtime" });

  it("marks the turn an events-lost marker falls in as incomplete, whatever its response said", () => {
    const h = new AcpHistory().bind();
    const id = h.prompt("Summarise the log");
    h.chunk("The log shows ");
    h.record("client", marker(37));
    h.chunk("three errors.");
    h.end(id);
    h.turn("Thanks", ["Sure."]);
    expect(shape(buildTranscript(h.events))).toEqual([
      { kind: "user", text: "Summarise the log" },
      { kind: "assistant", text: "The log shows three errors." },
      { kind: "outcome", outcome: "incomplete", detail: "37 message(s) of this turn were lost in transit" },
      { kind: "user", text: "Thanks" },
      { kind: "assistant", text: "Sure." },
    ]);
  });

  it("says so even when nothing of the turn is readable, and the replay tells the agent", () => {
    const h = new AcpHistory().bind();
    h.prompt("Run the tests");
    h.record("client", marker(500));
    const entries = buildTranscript(h.events);
    expect(shape(entries)).toEqual([
      { kind: "user", text: "Run the tests" },
      { kind: "outcome", outcome: "incomplete", detail: "500 message(s) of this turn were lost in transit" },
    ]);
    const replay = buildReplay(h.events, { maxEvents: 50, maxChars: 12_000 });
    expect(replay?.text).toContain("Turn outcome: incomplete: 500 message(s) of this turn were lost in transit");
  });

  it("recognises the marker and reads its details", () => {
    expect(isEventsLostMarker(marker(3))).toBe(true);
    expect(eventsLostDetails(marker(3))).toMatchObject({ fromStreamId: 10, toStreamId: 12, count: 3 });
    expect(isEventsLostMarker({ jsonrpc: "2.0", method: "session/update", params: {} })).toBe(false);
    expect(isEventsLostMarker({ jsonrpc: "2.0", id: 1, method: "_durable_agent/events_lost", params: { count: 1 } })).toBe(false);
  });
});
