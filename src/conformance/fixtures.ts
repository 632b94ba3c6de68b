import type { JsonRpcEnvelope, SessionEvent, SessionRecord } from "../persist/types.js";

// Realistic test data: ACP envelopes as they cross the wire, records with every field, and
// the awkward cases (astral characters, a ~1 MB payload, deep nesting) a backend must keep intact.

const LOREM =
  "I'll start by reading the failing test and the module it covers, then narrow the bug down " +
  "with a minimal reproduction. The stack trace points at the cursor decoder, so I'll check how " +
  "it handles a base64url string without padding — naïve décodage, 日本語のテキスト, and 😀 🚀 𝔘 too.";

/** Unicode that must survive storage unchanged: accents, CJK, BMP private use, emoji and other astral characters. */
export const UNICODE_TEXT = "héllo wörld · 日本語 · \uE000\uFFFD · 😀🚀 · 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 · 👩‍👩‍👧 · \u{10FFFF}";

/** An ACP `session/update` notification carrying an `agent_message_chunk` of about 250 characters. */
export function agentChunkEnvelope(agentSessionId: string, n: number): JsonRpcEnvelope {
  return {
    jsonrpc: "2.0",
    method: "session/update",
    params: {
      sessionId: agentSessionId,
      update: {
        sessionUpdate: "agent_message_chunk",
        content: { type: "text", text: `[${n}] ${LOREM}`.slice(0, 250) },
      },
    },
  };
}

/** An ACP `session/prompt` request as the client sends it. */
export function promptEnvelope(agentSessionId: string, requestId: number, text: string): JsonRpcEnvelope {
  return {
    jsonrpc: "2.0",
    id: requestId,
    method: "session/prompt",
    params: { sessionId: agentSessionId, prompt: [{ type: "text", text }] },
  };
}

/** A `session/update` whose text is about `bytes` long (default ~1 MB). */
export function largeEnvelope(agentSessionId: string, bytes = 1_000_000): JsonRpcEnvelope {
  const chunk = `${LOREM} ${UNICODE_TEXT}\n`;
  return {
    jsonrpc: "2.0",
    method: "session/update",
    params: {
      sessionId: agentSessionId,
      update: {
        sessionUpdate: "tool_call_update",
        toolCallId: "call_large",
        status: "completed",
        content: [{ type: "content", content: { type: "text", text: chunk.repeat(Math.ceil(bytes / chunk.length)) } }],
      },
    },
  };
}

/** A response whose result nests `depth` levels of objects and arrays. */
export function deeplyNestedEnvelope(depth = 64): JsonRpcEnvelope {
  let value: unknown = { leaf: UNICODE_TEXT, n: 1.5, ok: true, nothing: null };
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { level: i, child: value } : [i, value, "x"];
  return { jsonrpc: "2.0", id: "req-nested", result: { nested: value } };
}

/**
 * A `session/update` holding own `"__proto__"` keys, as `JSON.parse` makes them from wire
 * text: an object value, a primitive and a null one, at several depths and inside an array.
 * (An object literal cannot be used: `{ __proto__: x }` sets the prototype instead.)
 */
export function protoKeyEnvelope(agentSessionId: string): JsonRpcEnvelope {
  const params =
    `{"sessionId":${JSON.stringify(agentSessionId)},` +
    `"update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"hi"},"__proto__":"chunk"},` +
    `"__proto__":{"injected":true,"inner":{"__proto__":1}},"list":[{"__proto__":null},{"x":1}]}`;
  return JSON.parse(`{"jsonrpc":"2.0","method":"session/update","params":${params}}`) as JsonRpcEnvelope;
}

/** {@link fullRecord} whose `sessionInit`, `configOptions` and `modes` hold own `"__proto__"` keys. */
export function protoKeyRecord(id: string, createdAt = 1_700_000_000_000): SessionRecord {
  const parse = <T>(text: string): T => JSON.parse(text) as T;
  return {
    ...fullRecord(id, createdAt),
    sessionInit: parse('{"cwd":"/srv","mcpServers":[],"__proto__":{"polluted":true}}'),
    configOptions: parse('[{"id":"model","name":"Model","type":"select","currentValue":"a","options":[],"__proto__":"x"}]'),
    modes: parse('{"currentModeId":"code","availableModes":[{"id":"code","name":"Code","__proto__":null}],"__proto__":{"a":[1]}}'),
  };
}

/** Builds events for tests: consistent ids per session, realistic payloads. */
export interface EventOptions {
  /** Override the id (default `${sessionId}:evt:${eventIndex}`). */
  id?: string;
  /** Override the payload (default an agent message chunk). */
  payload?: JsonRpcEnvelope;
  /** Override the sender (default alternates by index). */
  sender?: SessionEvent["sender"];
  /** Override `createdAt`. */
  createdAt?: number;
}

/** A realistic event of `sessionId` at `eventIndex`. */
export function makeEvent(sessionId: string, eventIndex: number, options: EventOptions = {}): SessionEvent {
  const sender = options.sender ?? (eventIndex % 5 === 0 ? "client" : "agent");
  return {
    id: options.id ?? `${sessionId}:evt:${eventIndex}`,
    eventIndex,
    sessionId,
    createdAt: options.createdAt ?? 1_700_000_000_000 + eventIndex * 37,
    connectionId: "conn-7f3a",
    sender,
    payload:
      options.payload ??
      (sender === "client"
        ? promptEnvelope(`agent-${sessionId}`, eventIndex, `step ${eventIndex}: ${UNICODE_TEXT}`)
        : agentChunkEnvelope(`agent-${sessionId}`, eventIndex)),
  };
}

/** Events `from..to-1` of `sessionId`, ascending. */
export function makeEvents(sessionId: string, from: number, to: number): SessionEvent[] {
  const events: SessionEvent[] = [];
  for (let i = from; i < to; i++) events.push(makeEvent(sessionId, i));
  return events;
}

/** A record with only the required fields. */
export function minimalRecord(id: string, createdAt = 1_700_000_000_000): SessionRecord {
  return { id, agent: "mock", agentSessionId: `agent-${id}`, lastConnectionId: "conn-7f3a", createdAt };
}

/** A record with every field set, including `sessionInit`, `configOptions`, `modes` and `destroyedAt`. */
export function fullRecord(id: string, createdAt = 1_700_000_000_000): SessionRecord {
  return {
    id,
    agent: "claude",
    agentSessionId: `agent-${id}`,
    lastConnectionId: "conn-9b21",
    createdAt,
    destroyedAt: createdAt + 3_600_000,
    sandboxId: "sbx_01J9Z3",
    sessionInit: {
      cwd: "/home/user/projects/ünïcode-😀",
      mcpServers: [
        {
          name: "filesystem",
          command: "npx",
          args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
          env: [{ name: "LOG_LEVEL", value: "debug" }],
        },
        { type: "http", name: "search", url: "https://mcp.example.test/search", headers: [] },
      ],
    },
    configOptions: [
      {
        id: "model",
        name: "Model",
        description: "Which model answers",
        type: "select",
        currentValue: "sonnet",
        options: [
          { value: "sonnet", name: "Sonnet" },
          { value: "opus", name: "Opus", description: null },
        ],
      },
      { id: "thinking", name: "Extended thinking", type: "boolean", currentValue: true },
    ],
    modes: {
      currentModeId: "code",
      availableModes: [
        { id: "ask", name: "Ask", description: "Answer questions only" },
        { id: "code", name: "Code" },
      ],
    },
  };
}
