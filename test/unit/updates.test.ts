import type { SessionUpdate as AcpSessionUpdate } from "@agentclientprotocol/sdk";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { JsonRpcEnvelope, SessionEvent } from "../../src/persist/types.js";
import { promptOf, textOf } from "../../src/protocol/event-readers.js";
import {
  isAgentMessageChunk,
  isAgentThoughtChunk,
  isAvailableCommandsUpdate,
  isConfigOptionUpdate,
  isCurrentModeUpdate,
  isPlan,
  isSessionInfoUpdate,
  isSessionUpdate,
  isToolCall,
  isToolCallUpdate,
  isUsageUpdate,
  isUserMessageChunk,
  SESSION_UPDATE_KINDS,
  sessionUpdateOf,
  type SessionUpdate,
  type SessionUpdateKind,
} from "../../src/protocol/updates.js";

let index = 0;
const eventOf = (payload: unknown, sender: SessionEvent["sender"] = "agent"): SessionEvent => ({
  id: `e${index}`,
  eventIndex: index++,
  sessionId: "s1",
  createdAt: 0,
  connectionId: "c1",
  sender,
  payload: payload as JsonRpcEnvelope,
});
const updateEvent = (update: unknown): SessionEvent => eventOf({ jsonrpc: "2.0", method: "session/update", params: { sessionId: "a1", update } });
const text = (t: string) => ({ type: "text", text: t });

// One well-formed update of every stable kind.
const SAMPLES: { [K in SessionUpdateKind]: Extract<SessionUpdate, { sessionUpdate: K }> } = {
  user_message_chunk: { sessionUpdate: "user_message_chunk", content: { type: "text", text: "hi" } },
  agent_message_chunk: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: "hello" }, messageId: "m1" },
  agent_thought_chunk: { sessionUpdate: "agent_thought_chunk", content: { type: "text", text: "hmm" } },
  tool_call: { sessionUpdate: "tool_call", toolCallId: "t1", title: "Run echo", kind: "execute", status: "pending" },
  tool_call_update: { sessionUpdate: "tool_call_update", toolCallId: "t1", status: "completed" },
  plan: { sessionUpdate: "plan", entries: [{ content: "step", priority: "high", status: "pending" }] },
  available_commands_update: { sessionUpdate: "available_commands_update", availableCommands: [{ name: "init", description: "d" }] },
  current_mode_update: { sessionUpdate: "current_mode_update", currentModeId: "code" },
  config_option_update: { sessionUpdate: "config_option_update", configOptions: [] },
  session_info_update: { sessionUpdate: "session_info_update", title: "Fix the bug" },
  usage_update: { sessionUpdate: "usage_update", used: 1200, size: 200000 },
  notice: { sessionUpdate: "notice", severity: "info", title: "Heads up" },
  compaction_update: { sessionUpdate: "compaction_update", compactionId: "k1", status: "completed" },
  compaction_summary_chunk: { sessionUpdate: "compaction_summary_chunk", compactionId: "k1", content: { type: "text", text: "sum" } },
};

describe("session/update helpers", () => {
  it("the union is ACP's own, and every stable kind is listed", () => {
    expectTypeOf<SessionUpdate>().toEqualTypeOf<AcpSessionUpdate>();
    expect([...SESSION_UPDATE_KINDS].sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it("sessionUpdateOf reads every kind, typed by its discriminant", () => {
    for (const sample of Object.values(SAMPLES)) expect(sessionUpdateOf(updateEvent(sample))).toEqual(sample);
    const update = sessionUpdateOf(updateEvent(SAMPLES.tool_call));
    if (update?.sessionUpdate !== "tool_call") throw new Error("expected a tool call");
    expectTypeOf(update.title).toEqualTypeOf<string>();
    expect(update.title).toBe("Run echo");
  });

  it("sessionUpdateOf is undefined for anything else", () => {
    const others: unknown[] = [
      { jsonrpc: "2.0", id: 1, method: "session/prompt", params: { sessionId: "a1", prompt: [text("hi")] } },
      { jsonrpc: "2.0", id: 1, result: { stopReason: "end_turn" } },
      { jsonrpc: "2.0", method: "session/cancel", params: { sessionId: "a1" } },
      // A request that happens to use the method name is not a notification.
      { jsonrpc: "2.0", id: 2, method: "session/update", params: { sessionId: "a1", update: SAMPLES.plan } },
      { jsonrpc: "2.0", method: "session/update" },
      { jsonrpc: "2.0", method: "session/update", params: null },
      { jsonrpc: "2.0", method: "session/update", params: { update: "plan" } },
      { jsonrpc: "2.0", method: "session/update", params: { update: { sessionUpdate: 7 } } },
      // Kinds this protocol version does not define, and inherited names.
      { jsonrpc: "2.0", method: "session/update", params: { update: { sessionUpdate: "plan_update" } } },
      { jsonrpc: "2.0", method: "session/update", params: { update: { sessionUpdate: "toString" } } },
      null,
      "session/update",
    ];
    for (const payload of others) expect(sessionUpdateOf(eventOf(payload))).toBeUndefined();
  });

  it("an update lacking a field its kind requires is not presented as typed", () => {
    const malformed: unknown[] = [
      { sessionUpdate: "agent_message_chunk" },
      { sessionUpdate: "agent_message_chunk", content: "hello" },
      { sessionUpdate: "agent_message_chunk", content: { text: "no type" } },
      { sessionUpdate: "tool_call", toolCallId: "t1" },
      { sessionUpdate: "tool_call_update" },
      { sessionUpdate: "plan", entries: "all" },
      { sessionUpdate: "available_commands_update" },
      { sessionUpdate: "current_mode_update", currentModeId: 3 },
      { sessionUpdate: "config_option_update", configOptions: {} },
      { sessionUpdate: "usage_update", used: "1", size: 2 },
      { sessionUpdate: "notice", title: "t" },
      { sessionUpdate: "compaction_update", compactionId: "k1" },
      { sessionUpdate: "compaction_summary_chunk", compactionId: "k1" },
    ];
    for (const update of malformed) expect(sessionUpdateOf(updateEvent(update)), JSON.stringify(update)).toBeUndefined();
  });

  it("each guard accepts its own kind only, and narrows the event", () => {
    const guards = {
      agent_message_chunk: isAgentMessageChunk,
      user_message_chunk: isUserMessageChunk,
      agent_thought_chunk: isAgentThoughtChunk,
      tool_call: isToolCall,
      tool_call_update: isToolCallUpdate,
      plan: isPlan,
      available_commands_update: isAvailableCommandsUpdate,
      current_mode_update: isCurrentModeUpdate,
      config_option_update: isConfigOptionUpdate,
      session_info_update: isSessionInfoUpdate,
      usage_update: isUsageUpdate,
    } as const;
    for (const [kind, guard] of Object.entries(guards)) {
      for (const sample of Object.values(SAMPLES)) {
        const event = updateEvent(sample);
        expect(guard(event), `${kind} on ${sample.sessionUpdate}`).toBe(sample.sessionUpdate === kind);
        expect(isSessionUpdate(event, kind as SessionUpdateKind)).toBe(sample.sessionUpdate === kind);
      }
    }
    const event = updateEvent(SAMPLES.current_mode_update);
    if (!isCurrentModeUpdate(event)) throw new Error("expected a mode update");
    expectTypeOf(event.payload.params.update.currentModeId).toEqualTypeOf<string>();
    expect(event.payload.params.update.currentModeId).toBe("code");
    const usage = updateEvent(SAMPLES.usage_update);
    if (!isSessionUpdate(usage, "usage_update")) throw new Error("expected usage");
    expect(usage.payload.params.update.used / usage.payload.params.update.size).toBeCloseTo(0.006);
  });

  it("textOf reads the text of message and thought chunks only", () => {
    expect(textOf(updateEvent(SAMPLES.agent_message_chunk))).toBe("hello");
    expect(textOf(updateEvent(SAMPLES.user_message_chunk))).toBe("hi");
    expect(textOf(updateEvent(SAMPLES.agent_thought_chunk))).toBe("hmm");
    expect(textOf(updateEvent({ sessionUpdate: "agent_message_chunk", content: { type: "image", data: "AA==", mimeType: "image/png" } }))).toBeUndefined();
    expect(textOf(updateEvent({ sessionUpdate: "agent_message_chunk", content: { type: "text", text: 5 } }))).toBeUndefined();
    expect(textOf(updateEvent(SAMPLES.compaction_summary_chunk))).toBeUndefined();
    expect(textOf(updateEvent(SAMPLES.tool_call))).toBeUndefined();
    expect(textOf(eventOf({ jsonrpc: "2.0", id: 1, result: { stopReason: "end_turn" } }))).toBeUndefined();
  });

  it("promptOf reads the blocks of a session/prompt request", () => {
    const prompt = [text("[durable-agent replay]\n..."), text("continue")];
    expect(promptOf(eventOf({ jsonrpc: "2.0", id: 3, method: "session/prompt", params: { sessionId: "a1", prompt } }, "client"))).toEqual(prompt);
    expect(promptOf(eventOf({ jsonrpc: "2.0", id: 3, method: "session/prompt", params: { prompt: [text("a"), 42, null] } }, "client"))).toEqual([text("a")]);
    expect(promptOf(eventOf({ jsonrpc: "2.0", method: "session/prompt", params: { prompt } }))).toBeUndefined();
    expect(promptOf(eventOf({ jsonrpc: "2.0", id: 3, method: "session/prompt", params: {} }))).toBeUndefined();
    expect(promptOf(updateEvent(SAMPLES.agent_message_chunk))).toBeUndefined();
  });
});
