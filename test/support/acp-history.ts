// Builds realistic recorded ACP histories (raw JSON-RPC envelopes as SessionEvents) for
// the history-layer unit tests. Shapes follow @agentclientprotocol/sdk's schema types.
import type {
  ContentBlock,
  PermissionOption,
  SessionUpdate,
  StopReason,
  ToolCallStatus,
  ToolKind,
} from "@agentclientprotocol/sdk";
import type { JsonRpcEnvelope, SessionEvent, SessionEventSender } from "../../src/persist/types.js";

const PERMISSION_OPTIONS: PermissionOption[] = [
  { optionId: "allow", name: "Allow once", kind: "allow_once" },
  { optionId: "always", name: "Always allow", kind: "allow_always" },
  { optionId: "reject", name: "Reject", kind: "reject_once" },
];

/** A recorded history under construction: each helper appends the envelopes one step records. */
export class AcpHistory {
  readonly events: SessionEvent[] = [];
  private index: number;
  private clientId = 0;
  private agentId = 0;
  agentSessionId = "agent-sess-1";

  constructor(startIndex = 0, readonly sessionId = "ticket-42") {
    this.index = startIndex;
  }

  record(sender: SessionEventSender, payload: JsonRpcEnvelope): SessionEvent {
    const event: SessionEvent = {
      id: `${this.sessionId}-${this.index}`,
      eventIndex: this.index,
      sessionId: this.sessionId,
      createdAt: 1_700_000_000_000 + this.index,
      connectionId: "conn-1",
      sender,
      payload,
    };
    this.index += 1;
    this.events.push(event);
    return event;
  }

  /** A client request; returns its id. */
  request(method: string, params: unknown): number {
    const id = this.clientId++;
    this.record("client", { jsonrpc: "2.0", id, method, params });
    return id;
  }

  /** The agent's response to a client request. */
  respond(id: number, result: unknown): this {
    this.record("agent", { jsonrpc: "2.0", id, result });
    return this;
  }

  respondError(id: number, code: number, message: string): this {
    this.record("agent", { jsonrpc: "2.0", id, error: { code, message } });
    return this;
  }

  /** initialize + session/new with two modes, as the client does when it binds a session. */
  bind(agentSessionId = this.agentSessionId, loadSession = false): this {
    this.agentSessionId = agentSessionId;
    const init = this.request("initialize", {
      protocolVersion: 1,
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: "durable-agent", version: "0.0.0" },
    });
    this.respond(init, { protocolVersion: 1, agentCapabilities: { loadSession }, authMethods: [] });
    const created = this.request("session/new", { cwd: "/work/app", mcpServers: [] });
    this.respond(created, {
      sessionId: agentSessionId,
      modes: {
        currentModeId: "code",
        availableModes: [
          { id: "code", name: "Code" },
          { id: "architect", name: "Architect" },
        ],
      },
    });
    this.update({
      sessionUpdate: "available_commands_update",
      availableCommands: [{ name: "init", description: "Create AGENTS.md" }],
    });
    return this;
  }

  /** session/load of an agent session; the caller records the replayed updates and `respond`s. */
  load(agentSessionId: string): number {
    this.agentSessionId = agentSessionId;
    return this.request("session/load", { sessionId: agentSessionId, cwd: "/work/app", mcpServers: [] });
  }

  /** A session/prompt request; returns its id. */
  prompt(prompt: string | ContentBlock[]): number {
    const blocks: ContentBlock[] = typeof prompt === "string" ? [{ type: "text", text: prompt }] : prompt;
    return this.request("session/prompt", { sessionId: this.agentSessionId, prompt: blocks });
  }

  end(id: number, stopReason: StopReason = "end_turn"): this {
    return this.respond(id, { stopReason });
  }

  update(update: SessionUpdate): this {
    this.record("agent", {
      jsonrpc: "2.0",
      method: "session/update",
      params: { sessionId: this.agentSessionId, update },
    });
    return this;
  }

  chunk(text: string): this {
    return this.update({ sessionUpdate: "agent_message_chunk", content: { type: "text", text } });
  }

  thought(text: string): this {
    return this.update({ sessionUpdate: "agent_thought_chunk", content: { type: "text", text } });
  }

  userChunk(text: string): this {
    return this.update({ sessionUpdate: "user_message_chunk", content: { type: "text", text } });
  }

  toolCall(toolCallId: string, title: string, kind: ToolKind, status: ToolCallStatus = "pending"): this {
    return this.update({ sessionUpdate: "tool_call", toolCallId, title, kind, status, rawInput: { path: title } });
  }

  toolUpdate(toolCallId: string, fields: { status?: ToolCallStatus; title?: string; output?: string }): this {
    const update: SessionUpdate = { sessionUpdate: "tool_call_update", toolCallId };
    if (fields.status) update.status = fields.status;
    if (fields.title) update.title = fields.title;
    if (fields.output) update.content = [{ type: "content", content: { type: "text", text: fields.output } }];
    return this.update(update);
  }

  /** An agent-side session/request_permission about a tool call; returns its id. */
  askPermission(toolCallId: string): number {
    const id = this.agentId++;
    this.record("agent", {
      jsonrpc: "2.0",
      id,
      method: "session/request_permission",
      params: {
        sessionId: this.agentSessionId,
        toolCall: { toolCallId, status: "pending" },
        options: PERMISSION_OPTIONS,
      },
    });
    return id;
  }

  /** The client's answer to a permission request: an option id, or cancelled. */
  answerPermission(id: number, optionId: string | null): this {
    const outcome = optionId === null ? { outcome: "cancelled" } : { outcome: "selected", optionId };
    this.record("client", { jsonrpc: "2.0", id, result: { outcome } });
    return this;
  }

  cancel(): this {
    this.record("client", { jsonrpc: "2.0", method: "session/cancel", params: { sessionId: this.agentSessionId } });
    return this;
  }

  /** One complete turn: prompt, streamed reply in the given chunks, response. */
  turn(user: string, chunks: string[], stopReason: StopReason = "end_turn"): this {
    const id = this.prompt(user);
    for (const c of chunks) this.chunk(c);
    return this.end(id, stopReason);
  }

  /** Events from position `from` on (a tail that does not start at eventIndex 0). */
  tailFrom(eventIndex: number): SessionEvent[] {
    return this.events.filter((e) => e.eventIndex >= eventIndex);
  }
}

/** Split `text` into `n` streamed chunks of about equal size. */
export function chunksOf(text: string, n: number): string[] {
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
