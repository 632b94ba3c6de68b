import { randomUUID } from "node:crypto";
import {
  agent,
  methods,
  PROTOCOL_VERSION,
  RequestError,
  type AgentApp,
  type AgentContext,
  type ContentBlock,
  type PromptResponse,
  type SessionConfigOption,
  type SessionModeState,
  type SessionUpdate,
} from "@agentclientprotocol/sdk";
import { AGENT_CONTEXT_PREFIX, REPLAY_HEADER, type AgentContextReport } from "./context.js";
import { TranscriptStore, type TranscriptEntry } from "./transcript.js";

/** Options of {@link createScriptedAgent}. */
export interface ScriptedAgentOptions {
  /** Advertise `agentCapabilities.loadSession` and serve `session/load`. Default false. */
  loadSession?: boolean;
  /**
   * Directory where each session's transcript is kept, appended to on every change (one JSONL
   * file per session, `sessions/<id>.jsonl`), so `session/load` works in a later agent process
   * and fails in one started on an empty directory. Required when `loadSession` is true.
   */
  stateDir?: string;
  /** Offer the modes `ask` (current) and `code` on new sessions. Default true. */
  modes?: boolean;
  /**
   * What `/crash` does after sending its one chunk. Default: `process.exit(1)`.
   * The stdio entry flushes stdout first. The turn is never answered, even if this returns.
   */
  onCrash?: () => void | Promise<void>;
}

/** Mode ids the scripted agent offers when modes are enabled. */
export const SCRIPTED_MODES = ["ask", "code"] as const;

/**
 * Configuration options the scripted agent offers (ACP `configOptions`, set with
 * `session/set_config_option`): option id, category, values, default (the first value).
 */
export const SCRIPTED_CONFIG = [
  { id: "model", name: "Model", category: "model", values: ["fast", "smart"] },
  { id: "thought_level", name: "Thinking", category: "thought_level", values: ["low", "medium", "high"] },
] as const;

type ConfigValues = Record<(typeof SCRIPTED_CONFIG)[number]["id"], string>;

const defaultConfig = (): ConfigValues => ({ model: "fast", thought_level: "low" });

/** JSON-RPC error code the agent answers a `/error` prompt with (JSON-RPC "internal error"). */
export const SCRIPTED_ERROR_CODE = -32603;

interface LiveSession {
  id: string;
  cwd: string;
  modeId: string | null;
  /** Current configuration option values (never saved: a loaded session starts from the defaults). */
  config: ConfigValues;
  entries: TranscriptEntry[];
  loaded: boolean;
  /** Aborted by `session/cancel`; replaced at the start of each turn. */
  cancel: AbortController;
}

interface PromptStats {
  blocks: number;
  chars: number;
  replay: boolean;
  replayChars: number;
  /** Text of the prompt's text blocks that are not replay blocks: what commands are read from. */
  userText: string;
  /** Text of every text block, as the transcript keeps it. */
  fullText: string;
}

/**
 * Builds the scripted ACP agent: a real ACP agent (an `AgentApp` of `@agentclientprotocol/sdk`)
 * whose behaviour is driven by the prompt text, for deterministic tests. It is transport
 * independent: connect it to stdio (see `stdio.ts`), to an in-process client, or give a factory
 * calling it to the SDK's `AcpServer`.
 *
 * Prompt commands (read only from text blocks that are not replay blocks; they combine):
 * - default: streams `echo: <text>` in 3 `agent_message_chunk`s, then the context chunk;
 * - `/chunks N`: streams N small chunks `chunk <k>\n` (k = 0..N-1), then the context chunk;
 * - `/slow MS`: waits MS milliseconds before answering;
 * - `/error`: answers with a JSON-RPC error ({@link SCRIPTED_ERROR_CODE});
 * - `/crash`: sends one chunk (`crashing\n`), then calls `onCrash` (exits the process);
 * - `/stall`: sends one chunk (`stalling\n`), then never answers until `session/cancel`
 *   (then `stopReason: "cancelled"`);
 * - `/permission`: sends `session/request_permission` with options `allow` / `reject`, then
 *   replies `permission: <optionId>` (or `permission: cancelled`) and the context chunk;
 * - `/switch-mode ID`: the agent switches its own mode to ID first (`current_mode_update`).
 * - `/tool`: first reports a completed `execute` tool call whose output (content and
 *   `rawOutput.stdout`) is the prompt's text, as a tool that printed it would.
 * Sessions offer modes `ask`/`code` and the config options of {@link SCRIPTED_CONFIG}; a
 * loaded session starts again from the default mode and configuration.
 * Every successful reply ends with one chunk `\n[agent-context] {json}` ({@link AgentContextReport}).
 * `session/cancel` ends any waiting or streaming turn with `stopReason: "cancelled"`.
 */
export function createScriptedAgent(options: ScriptedAgentOptions = {}): AgentApp {
  const loadSession = options.loadSession ?? false;
  const withModes = options.modes ?? true;
  if (loadSession && options.stateDir === undefined) {
    throw new Error("createScriptedAgent: loadSession needs a stateDir");
  }
  const store = options.stateDir === undefined ? undefined : new TranscriptStore(options.stateDir);
  const onCrash = options.onCrash ?? (() => process.exit(1));
  const sessions = new Map<string, LiveSession>();

  const addEntry = (s: LiveSession, entry: TranscriptEntry): void => {
    s.entries.push(entry);
    store?.addEntry(s.id, entry);
  };
  const setMode = (s: LiveSession, modeId: string): void => {
    s.modeId = modeId;
    store?.setMode(s.id, modeId);
  };
  const modeState = (s: LiveSession): SessionModeState | undefined =>
    s.modeId === null
      ? undefined
      : {
          currentModeId: s.modeId,
          availableModes: SCRIPTED_MODES.map((id) => ({ id, name: id === "ask" ? "Ask" : "Code" })),
        };
  const configOptions = (s: LiveSession): SessionConfigOption[] =>
    SCRIPTED_CONFIG.map((o) => ({
      id: o.id,
      name: o.name,
      category: o.category,
      type: "select" as const,
      currentValue: s.config[o.id],
      options: o.values.map((value) => ({ value, name: value })),
    }));
  const live = (sessionId: string): LiveSession => {
    const s = sessions.get(sessionId);
    if (s === undefined) throw RequestError.sessionNotFound(sessionId);
    return s;
  };

  return agent({ name: "scripted-agent" })
    .onRequest(methods.agent.initialize, () => ({
      protocolVersion: PROTOCOL_VERSION,
      agentCapabilities: { loadSession, promptCapabilities: { embeddedContext: true } },
      agentInfo: { name: "durable-agent-scripted-agent", version: "1.0.0" },
      authMethods: [],
    }))
    .onRequest(methods.agent.session.new, ({ params }) => {
      const s: LiveSession = {
        id: randomUUID(),
        cwd: params.cwd,
        modeId: withModes ? "ask" : null,
        config: defaultConfig(),
        entries: [],
        loaded: false,
        cancel: new AbortController(),
      };
      sessions.set(s.id, s);
      store?.create(s.id, s.cwd, s.modeId);
      return { sessionId: s.id, modes: modeState(s) ?? null, configOptions: configOptions(s) };
    })
    .onRequest(methods.agent.session.load, async ({ params, client }) => {
      if (!loadSession || store === undefined) throw RequestError.methodNotFound(methods.agent.session.load);
      const saved = store.read(params.sessionId);
      if (saved === undefined) throw RequestError.sessionNotFound(params.sessionId);
      // Settings are not part of the transcript: a loaded session starts in the default mode
      // and configuration, as agents that keep only the conversation do.
      const s: LiveSession = {
        id: saved.sessionId,
        cwd: params.cwd,
        modeId: withModes ? "ask" : null,
        config: defaultConfig(),
        entries: saved.entries,
        loaded: true,
        cancel: new AbortController(),
      };
      sessions.set(s.id, s);
      // Per ACP, the whole history is streamed as session/update before the response.
      for (const entry of s.entries) {
        const sessionUpdate = entry.role === "user" ? "user_message_chunk" : "agent_message_chunk";
        await update(client, s.id, { sessionUpdate, content: { type: "text", text: entry.text } });
      }
      return { modes: modeState(s) ?? null, configOptions: configOptions(s) };
    })
    .onRequest(methods.agent.session.setConfigOption, ({ params }) => {
      const s = live(params.sessionId);
      const option = SCRIPTED_CONFIG.find((o) => o.id === params.configId);
      const value = (params as { value?: unknown }).value;
      if (!option || typeof value !== "string" || !(option.values as readonly string[]).includes(value)) {
        throw RequestError.invalidParams({ configId: params.configId, value }, "unknown config option or value");
      }
      s.config[option.id] = value;
      return { configOptions: configOptions(s) };
    })
    .onRequest(methods.agent.session.setMode, ({ params }) => {
      const s = live(params.sessionId);
      if (s.modeId === null || !(SCRIPTED_MODES as readonly string[]).includes(params.modeId)) {
        throw RequestError.invalidParams({ modeId: params.modeId }, "unknown mode");
      }
      setMode(s, params.modeId);
      return {};
    })
    .onNotification(methods.agent.session.cancel, ({ params }) => {
      sessions.get(params.sessionId)?.cancel.abort();
    })
    .onRequest(methods.agent.session.prompt, async ({ params, client, signal }) => {
      const s = live(params.sessionId);
      const stats = promptStats(params.prompt);
      const priorTurns = s.entries.filter((e) => e.role === "user").length;
      addEntry(s, { role: "user", text: stats.fullText });
      s.cancel = new AbortController();
      const aborted = AbortSignal.any([signal, s.cancel.signal]);

      let reply = "";
      const send = async (text: string): Promise<void> => {
        reply += text;
        await update(client, s.id, { sessionUpdate: "agent_message_chunk", content: { type: "text", text } });
      };
      const finish = (stopReason: PromptResponse["stopReason"]): PromptResponse => {
        if (reply !== "") addEntry(s, { role: "agent", text: reply });
        return { stopReason };
      };

      const cmd = parseCommands(stats.userText);
      if (cmd.slowMs > 0 && !(await sleep(cmd.slowMs, aborted))) return finish("cancelled");
      if (cmd.error) throw new RequestError(SCRIPTED_ERROR_CODE, "scripted error", { command: "/error" });
      if (cmd.crash) {
        await send("crashing\n");
        await onCrash();
        // A crashed agent never answers, even if onCrash returned.
        return new Promise<PromptResponse>(() => undefined);
      }
      if (cmd.stall) {
        await send("stalling\n");
        await sleep(Number.POSITIVE_INFINITY, aborted);
        return finish("cancelled");
      }

      if (cmd.switchMode !== undefined && s.modeId !== null && (SCRIPTED_MODES as readonly string[]).includes(cmd.switchMode)) {
        setMode(s, cmd.switchMode);
        await update(client, s.id, { sessionUpdate: "current_mode_update", currentModeId: s.modeId });
      }
      if (cmd.tool) {
        const toolCallId = randomUUID();
        await update(client, s.id, { sessionUpdate: "tool_call", toolCallId, title: "run command", kind: "execute", status: "in_progress" });
        await update(client, s.id, {
          sessionUpdate: "tool_call_update",
          toolCallId,
          status: "completed",
          content: [{ type: "content", content: { type: "text", text: `output: ${stats.userText}` } }],
          rawOutput: { stdout: stats.userText },
        });
      }
      const parts: string[] = [];
      if (cmd.permission) {
        const answer = client.request(methods.client.session.requestPermission, {
          sessionId: s.id,
          toolCall: { toolCallId: randomUUID(), title: "scripted permission", kind: "execute", status: "pending" },
          options: [
            { optionId: "allow", name: "Allow", kind: "allow_once" },
            { optionId: "reject", name: "Reject", kind: "reject_once" },
          ],
        });
        const outcome = await Promise.race([answer, untilAborted(aborted)]);
        if (outcome === undefined) return finish("cancelled");
        parts.push(
          `permission: ${outcome.outcome.outcome === "selected" ? outcome.outcome.optionId : "cancelled"}\n`,
        );
      } else if (cmd.chunks !== undefined) {
        for (let k = 0; k < cmd.chunks; k++) parts.push(`chunk ${k}\n`);
      } else {
        parts.push(...splitInThree(`echo: ${stats.userText}`));
      }
      for (const part of parts) {
        if (aborted.aborted) return finish("cancelled");
        await send(part);
      }

      const report: AgentContextReport = {
        sessionId: s.id,
        turn: priorTurns + 1,
        priorTurns,
        blocks: stats.blocks,
        chars: stats.chars,
        replay: stats.replay,
        replayChars: stats.replayChars,
        loaded: s.loaded,
        mode: s.modeId,
        model: s.config.model,
        thoughtLevel: s.config.thought_level,
        pid: process.pid,
      };
      await send(`\n${AGENT_CONTEXT_PREFIX}${JSON.stringify(report)}`);
      return finish("end_turn");
    });
}

function update(client: AgentContext, sessionId: string, u: SessionUpdate): Promise<void> {
  return client.notify(methods.client.session.update, { sessionId, update: u });
}

function promptStats(prompt: ContentBlock[]): PromptStats {
  let chars = 0;
  let replayChars = 0;
  const user: string[] = [];
  const all: string[] = [];
  for (const block of prompt) {
    if (block.type === "text") {
      chars += block.text.length;
      all.push(block.text);
      if (block.text.startsWith(REPLAY_HEADER)) replayChars += block.text.length;
      else user.push(block.text);
    } else if (block.type === "resource" && "text" in block.resource) {
      chars += block.resource.text.length;
    }
  }
  return {
    blocks: prompt.length,
    chars,
    replay: replayChars > 0,
    replayChars,
    userText: user.join("\n"),
    fullText: all.join("\n"),
  };
}

interface Commands {
  chunks: number | undefined;
  switchMode: string | undefined;
  slowMs: number;
  crash: boolean;
  stall: boolean;
  permission: boolean;
  error: boolean;
  tool: boolean;
}

function parseCommands(text: string): Commands {
  const num = (name: string): number | undefined => {
    const m = new RegExp(`(?:^|\\s)/${name}\\s+(\\d+)`).exec(text);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  };
  const flag = (name: string): boolean => new RegExp(`(?:^|\\s)/${name}(?:\\s|$)`).test(text);
  return {
    chunks: num("chunks"),
    switchMode: /(?:^|\s)\/switch-mode\s+(\S+)/.exec(text)?.[1],
    slowMs: num("slow") ?? 0,
    crash: flag("crash"),
    stall: flag("stall"),
    permission: flag("permission"),
    error: flag("error"),
    tool: flag("tool"),
  };
}

function splitInThree(text: string): string[] {
  const size = Math.ceil(text.length / 3);
  return [text.slice(0, size), text.slice(size, 2 * size), text.slice(2 * size)].filter((p) => p !== "");
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(() => done(true), ms) : undefined;
    const done = (value: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onAbort = (): void => done(false);
    signal.addEventListener("abort", onAbort);
  });
}

function untilAborted(signal: AbortSignal): Promise<undefined> {
  return sleep(Number.POSITIVE_INFINITY, signal).then(() => undefined);
}
