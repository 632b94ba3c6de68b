// A fake Anthropic Messages API on loopback: what Claude Code (through its ACP adapter) talks to
// in tests and the demo instead of the real model. It answers `POST /v1/messages` (streamed as
// SSE or as one JSON message), records what each request held (how many messages, their roles
// and block types), and is scripted by the prompt text or per test.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** One content block of a recorded request message: its type, and its text when it has one. */
export interface RecordedBlock {
  /** `text`, `tool_use`, `tool_result`, `image`, `thinking`, ... */
  readonly type: string;
  /** Text of a `text` block, or the text of a `tool_result` (its text parts joined). */
  readonly text?: string;
  /** `tool_use`: the tool's name. */
  readonly name?: string;
  /** `tool_use`: its input. */
  readonly input?: unknown;
  /** `tool_result`: whether the tool failed. */
  readonly isError?: boolean;
}

/** One message of a recorded request. */
export interface RecordedMessage {
  /** `user` or `assistant`. */
  readonly role: string;
  /** Its blocks (a string content is recorded as one text block). */
  readonly blocks: readonly RecordedBlock[];
}

/** What one `POST /v1/messages` held, as the fake model saw it. */
export interface ModelRequest {
  /** 1, 2, 3... in arrival order. */
  readonly seq: number;
  /** When it arrived (`Date.now()`). */
  readonly at: number;
  /** The model id asked for (`claude-sonnet-4-5...`, `claude-haiku-...`). */
  readonly model: string;
  /** Whether an SSE stream was asked for. */
  readonly stream: boolean;
  /** Names of the tools offered: a turn of the agent's own loop offers them; side requests (titles...) do not. */
  readonly tools: readonly string[];
  /** The conversation sent: every message with its role and block types. */
  readonly messages: readonly RecordedMessage[];
  /** The reply chosen for it. */
  readonly reply: ModelReply;
}

/** How the fake model answers one request. */
export type ModelReply =
  /**
   * A text answer, streamed in `chunks` deltas (default 1: a text of exactly that many lines is
   * cut at its line ends, any other into pieces of about equal length), `delayMs` apart (default 0).
   */
  | { readonly kind: "text"; readonly text: string; readonly chunks?: number; readonly delayMs?: number }
  /** A `tool_use` block (stop reason `tool_use`), e.g. `{ name: "Bash", input: { command: "echo hi" } }`; optional lead-in text. */
  | { readonly kind: "tool_use"; readonly name: string; readonly input: Record<string, unknown>; readonly text?: string }
  /** An API error: HTTP `status` (default 400, which Claude Code does not retry) with an Anthropic error body. */
  | { readonly kind: "error"; readonly status?: number; readonly errorType?: string; readonly message: string }
  /** Never answers: headers and `message_start` are sent, then nothing, until the client goes away or {@link FakeModel.releaseStalls}. */
  | { readonly kind: "stall" };

/** Picks a reply for a request; `undefined` falls through to the prompt commands. */
export type ModelScript = (request: Omit<ModelRequest, "reply" | "seq" | "at">) => ModelReply | undefined;

/** Options of {@link startFakeModel}. */
export interface StartFakeModelOptions {
  /** Port on 127.0.0.1. Default: a free one. */
  port?: number;
}

/** A running fake model. */
export interface FakeModel {
  /** `http://127.0.0.1:<port>`: the value of `ANTHROPIC_BASE_URL`. */
  readonly baseUrl: string;
  /** Every request so far (side requests included), oldest first. */
  readonly requests: readonly ModelRequest[];
  /** The requests of the agent's own loop (those that offer tools), oldest first. */
  turnRequests(): ModelRequest[];
  /** The last request of the agent's own loop. */
  lastTurnRequest(): ModelRequest | undefined;
  /** Replaces the per-test script (`undefined`: prompt commands only). */
  script(fn: ModelScript | undefined): void;
  /** Forgets the recorded requests. */
  clearRequests(): void;
  /** Number of requests the model holds open right now (stalls and streams in progress). */
  readonly openRequests: number;
  /** Ends every stalled reply (the socket is destroyed, as a dropped connection). */
  releaseStalls(): void;
  /** Stops listening and drops every connection. Idempotent. */
  close(): Promise<void>;
}

/** Prompt commands, each `fake:<name> <argument>` (not `/name`: Claude Code takes those as its own slash commands). */
const COMMANDS: Record<string, (arg: string) => ModelReply> = {
  bash: (arg) => ({ kind: "tool_use", name: "Bash", input: { command: arg, description: `Run ${arg}` }, text: "Running it." }),
  chunks: (arg) => {
    const n = Math.max(1, Number.parseInt(arg, 10) || 1);
    return { kind: "text", text: Array.from({ length: n }, (_, k) => `chunk ${k + 1}\n`).join(""), chunks: n };
  },
  slowchunks: (arg) => {
    const [n, ms] = arg.split(/\s+/).map((s) => Number.parseInt(s, 10));
    const count = Math.max(1, n || 1);
    return { kind: "text", text: Array.from({ length: count }, (_, k) => `chunk ${k + 1}\n`).join(""), chunks: count, delayMs: ms || 50 };
  },
  error: (arg) => ({ kind: "error", message: arg || "scripted model error" }),
  stall: () => ({ kind: "stall" }),
};

const CLAUDE_CODE_NOTE = /^(<system-reminder>|<local-command-caveat>|<command-name>|<local-command-stdout>|\[Request interrupted)/;

/** Whether a user message's text block is one Claude Code adds itself (a reminder, a local command's echo, an interruption note). */
export function isClaudeCodeNote(text: string): boolean {
  return CLAUDE_CODE_NOTE.test(text);
}

/**
 * The reply the prompt commands give: the last user message decides. A `tool_result` (with no
 * text of the user's beside it) gets `tool said: <its text>`; a text starting with a command
 * (`fake:bash <command>`, `fake:chunks N`, `fake:slowchunks N MS`, `fake:error [message]`,
 * `fake:stall`) gets that; any other text `echo: <text>`.
 * Commands are read from the last text block that Claude Code did not add itself (a replay
 * preamble comes first in the same message, so the user's own text is last).
 */
export function replyFromPrompt(messages: readonly RecordedMessage[]): ModelReply {
  const last = messages.at(-1);
  if (last === undefined || last.role !== "user") return { kind: "text", text: "nothing to answer" };
  // The user's own words win: after an interrupted tool call, its result and the next prompt
  // come in one message.
  const texts = last.blocks.filter((b) => b.type === "text" && b.text !== undefined && !isClaudeCodeNote(b.text));
  const result = last.blocks.find((b) => b.type === "tool_result");
  if (texts.length === 0 && result !== undefined) {
    return { kind: "text", text: `tool said${result.isError ? " (error)" : ""}: ${(result.text ?? "").trim().slice(0, 200)}` };
  }
  const text = (texts.at(-1)?.text ?? "").trim();
  const match = /^fake:([a-z]+)(?:\s+([\s\S]*))?$/.exec(text);
  const command = match ? COMMANDS[match[1]!] : undefined;
  if (command) return command((match![2] ?? "").trim());
  return { kind: "text", text: `echo: ${text}` };
}

/**
 * The conversation a request held, as the model saw it: one line per message, `role: texts`
 * (tool calls as `[tool_use Bash]`, tool results as `[tool_result <text>]`), without the notes
 * Claude Code adds itself.
 */
export function conversation(messages: readonly RecordedMessage[]): string[] {
  return messages.map((m) => {
    const parts = m.blocks
      .filter((b) => !(b.type === "text" && isClaudeCodeNote(b.text ?? "")))
      .map((b) => {
        if (b.type === "text") return b.text ?? "";
        if (b.type === "tool_result") return `[tool_result ${(b.text ?? "").trim()}]`;
        return `[${b.type}${b.name ? ` ${b.name}` : ""}]`;
      });
    return `${m.role}: ${parts.join(" | ")}`;
  });
}

/** Starts the fake model on 127.0.0.1; resolves once it listens. */
export async function startFakeModel(options: StartFakeModelOptions = {}): Promise<FakeModel> {
  const model = new FakeModelServer();
  await model.listen(options.port ?? 0);
  return model;
}

class FakeModelServer implements FakeModel {
  readonly requests: ModelRequest[] = [];
  private server: Server | undefined;
  private port = 0;
  private userScript: ModelScript | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly open = new Set<ServerResponse>();
  private readonly stalled = new Set<ServerResponse>();
  private seq = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get openRequests(): number {
    return this.open.size;
  }

  turnRequests(): ModelRequest[] {
    return this.requests.filter((r) => r.tools.length > 0);
  }

  lastTurnRequest(): ModelRequest | undefined {
    return this.turnRequests().at(-1);
  }

  script(fn: ModelScript | undefined): void {
    this.userScript = fn;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  releaseStalls(): void {
    for (const res of this.stalled) res.socket?.destroy();
    this.stalled.clear();
  }

  async listen(port: number): Promise<void> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address !== "object") throw new Error("the fake model got no port");
    this.port = address.port;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.open.clear();
    this.stalled.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "HEAD" || req.method === "GET") {
      res.writeHead(200, { "content-type": "application/json" }).end(req.method === "GET" ? "{}" : undefined);
      return;
    }
    const body = await readBody(req);
    if (req.method !== "POST" || url.pathname !== "/v1/messages") {
      sendError(res, 404, "not_found_error", `the fake model serves POST /v1/messages only, not ${req.method} ${url.pathname}`);
      return;
    }
    let parsed: MessagesBody;
    try {
      parsed = JSON.parse(body) as MessagesBody;
    } catch {
      sendError(res, 400, "invalid_request_error", "invalid JSON");
      return;
    }
    const messages = (parsed.messages ?? []).map(recordMessage);
    const seen = {
      model: String(parsed.model ?? ""),
      stream: parsed.stream === true,
      tools: (parsed.tools ?? []).map((t) => String(t?.name ?? "")),
      messages,
    };
    const reply = this.userScript?.(seen) ?? replyFromPrompt(messages);
    this.requests.push({ ...seen, seq: ++this.seq, at: Date.now(), reply });
    this.open.add(res);
    res.once("close", () => {
      this.open.delete(res);
      this.stalled.delete(res);
    });
    if (reply.kind === "error") {
      sendError(res, reply.status ?? 400, reply.errorType ?? "invalid_request_error", reply.message);
      return;
    }
    if (!seen.stream) {
      if (reply.kind === "stall") {
        this.stalled.add(res);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(wholeMessage(seen.model, reply)));
      return;
    }
    await this.stream(res, seen.model, reply);
  }

  private async stream(res: ServerResponse, model: string, reply: Exclude<ModelReply, { kind: "error" }>): Promise<void> {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const send = (type: string, data: Record<string, unknown>) => {
      if (!res.writableEnded && !res.destroyed) res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    };
    send("message_start", { message: { ...messageShell(model), content: [], stop_reason: null } });
    if (reply.kind === "stall") {
      this.stalled.add(res);
      return;
    }
    let index = 0;
    const lead = reply.text;
    if (lead) {
      send("content_block_start", { index, content_block: { type: "text", text: "" } });
      const parts = reply.kind === "text" ? split(lead, reply.chunks ?? 1) : [lead];
      for (const part of parts) {
        if (res.destroyed) return;
        send("content_block_delta", { index, delta: { type: "text_delta", text: part } });
        if (reply.kind === "text" && reply.delayMs) await delay(reply.delayMs);
      }
      send("content_block_stop", { index });
      index++;
    }
    if (reply.kind === "tool_use") {
      send("content_block_start", { index, content_block: { type: "tool_use", id: toolUseId(), name: reply.name, input: {} } });
      send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: JSON.stringify(reply.input) } });
      send("content_block_stop", { index });
    }
    send("message_delta", { delta: { stop_reason: reply.kind === "tool_use" ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: 5 } });
    send("message_stop", {});
    res.end();
  }
}

interface MessagesBody {
  model?: unknown;
  stream?: unknown;
  tools?: { name?: unknown }[];
  messages?: { role?: unknown; content?: unknown }[];
}

function recordMessage(message: { role?: unknown; content?: unknown }): RecordedMessage {
  const content = message.content;
  const blocks: RecordedBlock[] =
    typeof content === "string"
      ? [{ type: "text", text: content }]
      : Array.isArray(content)
        ? content.map((raw: Record<string, unknown>) => recordBlock(raw))
        : [];
  return { role: String(message.role ?? ""), blocks };
}

function recordBlock(block: Record<string, unknown>): RecordedBlock {
  const type = String(block.type ?? "");
  if (type === "text") return { type, text: String(block.text ?? "") };
  if (type === "tool_use") return { type, name: String(block.name ?? ""), input: block.input };
  if (type === "tool_result") {
    const content = block.content;
    const text =
      typeof content === "string"
        ? content
        : Array.isArray(content)
          ? content.map((c: { text?: unknown }) => (typeof c?.text === "string" ? c.text : "")).join("")
          : "";
    return { type, text, isError: block.is_error === true };
  }
  return { type };
}

function messageShell(model: string): Record<string, unknown> {
  return {
    id: `msg_${randomBytes(8).toString("hex")}`,
    type: "message",
    role: "assistant",
    model: model || "claude-fake",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

function wholeMessage(model: string, reply: Exclude<ModelReply, { kind: "error" | "stall" }>): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  if (reply.text) content.push({ type: "text", text: reply.text });
  if (reply.kind === "tool_use") content.push({ type: "tool_use", id: toolUseId(), name: reply.name, input: reply.input });
  return { ...messageShell(model), content, stop_reason: reply.kind === "tool_use" ? "tool_use" : "end_turn" };
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ type: "error", error: { type, message } }));
}

/** `text` cut into `n` pieces: at its line ends when it has `n` lines, else of about equal length (fewer when it is shorter). */
function split(text: string, n: number): string[] {
  if (n <= 1 || text.length <= 1) return [text];
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [text];
  if (lines.length === n) return lines;
  const size = Math.ceil(text.length / n);
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

function toolUseId(): string {
  return `toolu_${randomBytes(12).toString("hex")}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
