/**
 * From raw recorded JSON-RPC envelopes to a compact transcript: what the user asked, what
 * the agent answered, which tools it ran, and how each turn ended. The replay policy
 * (`replay.ts`) selects and formats these entries; this module only interprets the wire.
 *
 * How envelopes become entries:
 * - A `session/prompt` request starts a turn; its response ends it. The turn's user entry is
 *   the text of the prompt's text blocks; other blocks are summarised (`[image]`,
 *   `[audio]`, `[resource: uri]`). Replay blocks written by this SDK (text starting with
 *   `REPLAY_HEADER`) are skipped, so replays never nest.
 * - Every `agent_message_chunk` of a turn is merged into ONE assistant entry, placed after
 *   the turn's tool calls. Text streamed on either side of a tool call is separated by a
 *   line break. Chunks recorded after the prompt's response (transports may deliver the
 *   last updates late) still belong to that turn.
 * - `agent_thought_chunk`s are merged the same way into one thought entry, but only with
 *   `includeThoughts` (off by default: the agent's private reasoning is long, and a fresh
 *   agent gains little from reading someone else's).
 * - One tool-call entry per `toolCallId`: the `tool_call` and every later
 *   `tool_call_update` (and the `toolCall` of a `session/request_permission`) are merged, so
 *   the entry holds the final title, kind and status, plus the user's answer to a permission
 *   request.
 * - A turn that did not end with `end_turn` gets an outcome entry: `cancelled`, `refusal`,
 *   `max_tokens`, `max_turn_requests`, `error` (an error response from the agent), or
 *   `interrupted` (no response at all: the next turn or session began first, or the history
 *   ends, because the runtime died).
 * - A prompt answered by an `undeliveredResponse` never reached the agent: its user entry
 *   and outcome are left out entirely.
 * - An events-lost marker (the runtime's stream skipped messages that could not be fetched
 *   again) makes the turn it falls in, or else the turn before it, `incomplete`: its outcome
 *   says how many messages are missing, whatever the turn's response said.
 * - Mode changes (`current_mode_update`, or a `session/set_mode` the agent accepted) become
 *   mode entries; repeats of the current mode are dropped.
 * - Updates that arrive outside a live turn after `session/load` are the agent replaying its
 *   history: `user_message_chunk`s start history turns. When the transcript already holds
 *   that agent session's turns (recorded live, or from an earlier load), the replayed
 *   updates duplicate them and are dropped.
 * - Everything else is protocol noise and left out: `initialize`, `session/new`,
 *   `session/load`, `session/cancel`, `available_commands_update`, `plan`, config and usage
 *   updates, responses without content, and envelopes too malformed to read.
 * - When the events do not start at `eventIndex` 0, updates before the first turn boundary
 *   belong to a turn whose start was not read: their entries are marked `partial`. A history
 *   that starts with a `_durable_agent/history_trimmed` marker (retention cut it between two
 *   turns) counts as starting at a boundary.
 * - Lifecycle markers become entries of their own: `fork` (the session was forked from
 *   another, `_durable_agent/forked_from`) and `trimmed` (older history was deleted by
 *   retention). The replay leaves both out.
 */
import {
  AGENT_METHODS,
  CLIENT_METHODS,
  type ContentBlock,
  type PermissionOption,
  type StopReason,
  type ToolCallStatus,
  type ToolKind,
} from "@agentclientprotocol/sdk";
import type { SessionEvent } from "../persist/types.js";
import { envelopeKind, isUndeliveredResponse, REPLAY_FOOTER, REPLAY_HEADER } from "../protocol/envelopes.js";
import { EVENTS_LOST_METHOD } from "../protocol/events-lost.js";
import {
  FORKED_FROM_METHOD,
  forkedFromDetails,
  HISTORY_TRIMMED_METHOD,
  historyTrimmedDetails,
  isHistoryTrimmedMarker,
} from "../protocol/lifecycle-markers.js";
import { HistoryInputError } from "./errors.js";

/** How a turn ended, when it did not end normally (`end_turn`). */
export type TurnOutcome = Exclude<StopReason, "end_turn"> | "error" | "interrupted" | "incomplete";

/** Fields every transcript entry has. */
export interface TranscriptEntryBase {
  /** `eventIndex` of the first event the entry was built from. */
  eventIndex: number;
  /** The entry's beginning lies before the first event read (only its end is known). */
  partial?: boolean;
}

/** What the user sent in one turn. */
export interface UserEntry extends TranscriptEntryBase {
  kind: "user";
  /** The prompt's text, non-text blocks summarised, replay blocks removed. */
  text: string;
}

/** Everything the agent said in one turn, merged. */
export interface AssistantEntry extends TranscriptEntryBase {
  kind: "assistant";
  /** All `agent_message_chunk` text of the turn, in order. */
  text: string;
}

/** The agent's reasoning in one turn, merged (only with `includeThoughts`). */
export interface ThoughtEntry extends TranscriptEntryBase {
  kind: "thought";
  /** All `agent_thought_chunk` text of the turn, in order. */
  text: string;
}

/** One tool call, with its state after the last update seen. */
export interface ToolCallEntry extends TranscriptEntryBase {
  kind: "tool_call";
  /** The agent's id for the call. */
  toolCallId: string;
  /** Its last title, or `""` when no title was seen. */
  title: string;
  /** Its last kind, when one was given. */
  toolKind?: ToolKind;
  /** Its last status, when one was given. */
  status?: ToolCallStatus;
  /**
   * The user's answer to a permission request about this call: the chosen option's kind
   * (`allow_once`, `reject_always`, ...) or `"cancelled"`.
   */
  permission?: string;
}

/** A turn that did not end with `end_turn`. */
export interface OutcomeEntry extends TranscriptEntryBase {
  kind: "outcome";
  /** How the turn ended. */
  outcome: TurnOutcome;
  /** The error message, for `error`. */
  detail?: string;
}

/** The session's mode changed. */
export interface ModeEntry extends TranscriptEntryBase {
  kind: "mode";
  /** The new mode's id. */
  modeId: string;
}

/** The session was forked from another one: its history up to here is a copy of the parent's. */
export interface ForkEntry extends TranscriptEntryBase {
  kind: "fork";
  /** The session it was copied from. */
  parentSessionId: string;
  /** The last parent event copied, by `eventIndex` in the parent (`-1`: none). */
  parentEventIndex: number;
}

/** Retention deleted older history here (the entries before it are gone on purpose). */
export interface TrimmedEntry extends TranscriptEntryBase {
  kind: "trimmed";
  /** How many events the trim deleted. */
  removedEvents: number;
}

/** One line of the transcript. */
export type TranscriptEntry =
  | UserEntry
  | AssistantEntry
  | ThoughtEntry
  | ToolCallEntry
  | OutcomeEntry
  | ModeEntry
  | ForkEntry
  | TrimmedEntry;

/** Options of {@link buildTranscript}. */
export interface TranscriptOptions {
  /** Include merged `agent_thought_chunk` text as thought entries. Default `false`. */
  includeThoughts?: boolean;
}

// ---------------------------------------------------------------------------------------
// Reading untyped payloads defensively: a stored envelope is data, never trusted.

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
const asStr = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const idKey = (id: unknown): string | undefined =>
  typeof id === "string" || typeof id === "number" ? `${typeof id}:${id}` : undefined;

/** Text of a replay block after its footer line (a prompt merged into one block), or `""`. */
function stripReplay(text: string): string {
  const at = text.indexOf(REPLAY_FOOTER);
  if (at < 0) return "";
  const lineEnd = text.indexOf("\n", at);
  return lineEnd < 0 ? "" : text.slice(lineEnd + 1).trim();
}

/** A content block as transcript text: `summary` for non-text blocks (`[image]`, ...). */
interface BlockText {
  text: string;
  summary: boolean;
}

/** One content block as transcript text; `undefined` for nothing worth keeping. */
function blockText(block: unknown): BlockText | undefined {
  const b = asObj(block);
  if (!b) return undefined;
  const summary = (text: string): BlockText => ({ text, summary: true });
  switch (b.type) {
    case "text": {
      let text = asStr(b.text);
      if (text?.startsWith(REPLAY_HEADER)) text = stripReplay(text);
      return text ? { text, summary: false } : undefined;
    }
    case "image":
      return summary("[image]");
    case "audio":
      return summary("[audio]");
    case "resource_link":
      return summary(`[resource: ${asStr(b.uri) ?? asStr(b.name) ?? "?"}]`);
    case "resource":
      return summary(`[resource: ${asStr(asObj(b.resource)?.uri) ?? "?"}]`);
    default:
      return typeof b.type === "string" ? summary(`[${b.type}]`) : undefined;
  }
}

/**
 * Append a piece to a run of streamed pieces. Streamed text fragments join as they are; a
 * summarised block, or text after something else happened (`lineBreak`), starts a new line.
 */
function pushPiece(run: TextRun, piece: BlockText, lineBreak: boolean): void {
  const last = run.pieces[run.pieces.length - 1];
  if (last !== undefined && (lineBreak || piece.summary || run.lastSummary)) {
    if (!last.endsWith("\n") && !piece.text.startsWith("\n")) run.pieces.push("\n");
  }
  run.pieces.push(piece.text);
  run.lastSummary = piece.summary;
}

/** The user text of a prompt's blocks, one block per line. */
function promptText(blocks: unknown): string {
  if (!Array.isArray(blocks)) return "";
  const parts: string[] = [];
  for (const block of blocks as ContentBlock[]) {
    const piece = blockText(block);
    if (piece) parts.push(piece.text);
  }
  return parts.join("\n");
}

// ---------------------------------------------------------------------------------------
// Builder state.

interface ToolState {
  kind: "tool";
  eventIndex: number;
  partial: boolean;
  toolCallId: string;
  title: string;
  toolKind?: ToolKind;
  status?: ToolCallStatus;
  permission?: string;
}

interface ModeItem {
  kind: "mode";
  eventIndex: number;
  modeId: string;
}

/** A lifecycle marker's entry, kept as it will be output. */
interface MarkerItem {
  kind: "marker";
  entry: ForkEntry | TrimmedEntry;
}

/** A run of text pieces, joined once at the end (no quadratic string building). */
interface TextRun {
  pieces: string[];
  eventIndex: number;
  /** Something else happened since the last piece: start the next one on a new line. */
  broken: boolean;
  /** The last piece was a summarised block. */
  lastSummary: boolean;
}

interface Turn {
  kind: "turn";
  /** `live`: from a prompt request; `history`: replayed by the agent or read mid-way. */
  source: "live" | "history";
  partial: boolean;
  /** From the prompt request (`text`) or from replayed `user_message_chunk`s (`run`). */
  user?: { text: string; eventIndex: number } | { run: TextRun; eventIndex: number };
  activities: (ToolState | ModeItem)[];
  agent?: TextRun;
  thought?: TextRun;
  outcome?: { outcome: TurnOutcome; detail?: string; eventIndex: number };
  answered: boolean;
  undelivered: boolean;
  /** Messages of this turn lost in transit (events-lost markers). */
  lost: number;
  /** `eventIndex` of the first events-lost marker of the turn. */
  lostAt?: number;
  startIndex: number;
}

type PendingClientRequest =
  | { method: "session/prompt"; turn: Turn }
  | { method: "session/set_mode"; modeId: string }
  | { method: "session/new" | "session/load" };

interface PendingPermission {
  toolKey: string;
  options: PermissionOption[];
}

const OUTCOME_OF: Record<Exclude<StopReason, "end_turn">, TurnOutcome> = {
  cancelled: "cancelled",
  refusal: "refusal",
  max_tokens: "max_tokens",
  max_turn_requests: "max_turn_requests",
};

class TranscriptBuilder {
  private readonly items: (Turn | ModeItem | MarkerItem)[] = [];
  private readonly tools = new Map<string, ToolState>();
  private readonly clientRequests = new Map<string, PendingClientRequest>();
  private readonly agentRequests = new Map<string, PendingPermission>();
  /** Agent sessions whose history the transcript already holds. */
  private readonly covered = new Set<string>();
  private current: Turn | undefined;
  /** Inside a `session/load` of this agent session (until the next prompt or session). */
  private loading: { sessionId: string; duplicate: boolean; sawContent: boolean } | undefined;
  private lastMode: string | undefined;
  private sawBoundary = false;

  constructor(private readonly startsAtZero: boolean) {}

  add(event: SessionEvent): void {
    const p = event.payload;
    const kind = envelopeKind(p);
    const env = p as unknown as Obj;
    if (kind === "request" || kind === "notification") {
      const method = env.method as string;
      const params = asObj(env.params);
      if (event.sender === "client") this.clientMessage(method, env.id, params, event.eventIndex);
      else this.agentMessage(method, env.id, params, event.eventIndex);
    } else if (kind === "response") {
      this.response(event, env);
    }
  }

  private clientMessage(method: string, id: unknown, params: Obj | undefined, at: number): void {
    const key = idKey(id);
    switch (method) {
      case EVENTS_LOST_METHOD: {
        const count = typeof params?.count === "number" ? params.count : 1;
        const turn = this.current ?? this.lastTurn();
        if (turn) {
          turn.lost += count;
          turn.lostAt ??= at;
        }
        return;
      }
      case FORKED_FROM_METHOD:
      case HISTORY_TRIMMED_METHOD: {
        const fork = forkedFromDetails({ method, params });
        const trim = historyTrimmedDetails({ method, params });
        // A trim that deleted a fork's marker carries it: the fork entry stays.
        const origin = fork ?? trim?.forkedFrom;
        if (origin) this.items.push({ kind: "marker", entry: { kind: "fork", parentSessionId: origin.parentSessionId, parentEventIndex: origin.parentEventIndex, eventIndex: at } });
        if (trim) this.items.push({ kind: "marker", entry: { kind: "trimmed", removedEvents: trim.removedEvents, eventIndex: at } });
        return;
      }
      case AGENT_METHODS.session_prompt: {
        this.boundary();
        const sessionId = asStr(params?.sessionId);
        if (sessionId !== undefined) this.covered.add(sessionId);
        const text = promptText(params?.prompt);
        const turn = this.newTurn("live", at);
        if (text !== "") turn.user = { text, eventIndex: at };
        if (key) this.clientRequests.set(key, { method: "session/prompt", turn });
        return;
      }
      case AGENT_METHODS.session_load: {
        this.boundary();
        const sessionId = asStr(params?.sessionId) ?? "";
        this.loading = { sessionId, duplicate: this.covered.has(sessionId), sawContent: false };
        if (key) this.clientRequests.set(key, { method: "session/load" });
        return;
      }
      case AGENT_METHODS.session_new:
      case AGENT_METHODS.session_resume:
        this.boundary();
        if (key) this.clientRequests.set(key, { method: "session/new" });
        return;
      case AGENT_METHODS.session_set_mode: {
        const modeId = asStr(params?.modeId);
        if (key && modeId !== undefined) this.clientRequests.set(key, { method: "session/set_mode", modeId });
        return;
      }
      default:
        // A request whose response we do not read must not shadow an older one's id.
        if (key) this.clientRequests.delete(key);
    }
  }

  private agentMessage(method: string, id: unknown, params: Obj | undefined, at: number): void {
    if (method === CLIENT_METHODS.session_request_permission) {
      const key = idKey(id);
      const toolCall = asObj(params?.toolCall);
      const sessionId = asStr(params?.sessionId) ?? "";
      if (!toolCall || this.dropping()) return;
      const tool = this.tool(sessionId, toolCall, at, false);
      if (key && tool) {
        const options = Array.isArray(params?.options) ? (params.options as PermissionOption[]) : [];
        this.agentRequests.set(key, { toolKey: this.toolKey(sessionId, tool.toolCallId), options });
      }
      return;
    }
    if (method !== CLIENT_METHODS.session_update) return;
    const update = asObj(params?.update);
    if (!update) return;
    const sessionId = asStr(params?.sessionId) ?? "";
    switch (update.sessionUpdate) {
      case "user_message_chunk":
        this.userChunk(update.content, at);
        return;
      case "agent_message_chunk":
      case "agent_thought_chunk": {
        if (this.dropping()) return;
        const piece = blockText(update.content);
        if (!piece) return;
        const turn = this.target(at);
        const field = update.sessionUpdate === "agent_message_chunk" ? "agent" : "thought";
        const run = (turn[field] ??= newRun(at));
        pushPiece(run, piece, run.broken);
        run.broken = false;
        return;
      }
      case "tool_call":
      case "tool_call_update":
        if (this.dropping()) return;
        this.tool(sessionId, update, at, update.sessionUpdate === "tool_call_update");
        return;
      case "current_mode_update": {
        const modeId = asStr(update.currentModeId);
        if (modeId !== undefined) this.mode(modeId, at);
        return;
      }
      default:
        return; // plan, available_commands_update, config, usage, ...: noise
    }
  }

  private response(event: SessionEvent, env: Obj): void {
    const key = idKey(env.id);
    if (!key) return;
    const undelivered = event.sender === "client" && isUndeliveredResponse(event.payload);
    if (event.sender === "agent" || undelivered) {
      const pending = this.clientRequests.get(key);
      if (!pending) return;
      this.clientRequests.delete(key);
      const error = asObj(env.error);
      const result = asObj(env.result);
      if (pending.method === "session/prompt") {
        const turn = pending.turn;
        turn.answered = true;
        if (undelivered) turn.undelivered = true;
        else if (error) turn.outcome = { outcome: "error", detail: asStr(error.message), eventIndex: event.eventIndex };
        else {
          const stop = asStr(result?.stopReason);
          const outcome = stop && Object.hasOwn(OUTCOME_OF, stop) ? OUTCOME_OF[stop as keyof typeof OUTCOME_OF] : undefined;
          if (outcome) turn.outcome = { outcome, eventIndex: event.eventIndex };
        }
      } else if (pending.method === "session/set_mode") {
        if (!error && !undelivered) this.mode(pending.modeId, event.eventIndex);
      } else if (result) {
        // session/new or session/load: the mode the session starts in is not a change.
        const modeId = asStr(asObj(result.modes)?.currentModeId);
        if (modeId !== undefined) this.lastMode = modeId;
      }
      return;
    }
    // The client answering an agent request: a permission decision.
    const pending = this.agentRequests.get(key);
    if (!pending) return;
    this.agentRequests.delete(key);
    const outcome = asObj(asObj(env.result)?.outcome);
    const tool = this.tools.get(pending.toolKey);
    if (!outcome || !tool) return;
    if (outcome.outcome === "cancelled") tool.permission = "cancelled";
    else if (outcome.outcome === "selected") {
      const option = pending.options.find((o) => asObj(o)?.optionId === outcome.optionId);
      tool.permission = asStr(option?.kind) ?? asStr(outcome.optionId) ?? "selected";
    }
  }

  /** A new turn, session or load begins: the open live turn, if any, is over. */
  private boundary(): void {
    this.sawBoundary = true;
    this.closeOpenTurn();
    if (this.loading?.sawContent) this.covered.add(this.loading.sessionId);
    this.current = undefined;
    this.loading = undefined;
  }

  private closeOpenTurn(): void {
    const turn = this.current;
    if (turn && turn.source === "live" && !turn.answered) {
      turn.answered = true;
      turn.outcome = { outcome: "interrupted", eventIndex: turn.startIndex };
    }
  }

  private lastTurn(): Turn | undefined {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i]!;
      if (item.kind === "turn") return item;
    }
    return undefined;
  }

  /** Updates replayed by a `session/load` whose history the transcript already has. */
  private dropping(): boolean {
    return this.current?.source !== "live" && this.loading?.duplicate === true;
  }

  private newTurn(source: Turn["source"], at: number): Turn {
    const turn: Turn = {
      kind: "turn",
      source,
      partial: source === "history" && !this.sawBoundary && !this.startsAtZero,
      activities: [],
      answered: false,
      undelivered: false,
      lost: 0,
      startIndex: at,
    };
    this.items.push(turn);
    this.current = turn;
    if (this.loading) this.loading.sawContent = true;
    return turn;
  }

  /** The turn agent output belongs to: the current one, or a new history turn. */
  private target(at: number): Turn {
    return this.current ?? this.newTurn("history", at);
  }

  private userChunk(content: unknown, at: number): void {
    // During a live turn the prompt request already holds the user's words.
    if (this.current?.source === "live" || this.dropping()) return;
    const piece = blockText(content);
    if (!piece) return;
    let turn = this.current;
    const continuing = turn?.user && "run" in turn.user && !turn.agent && !turn.thought && turn.activities.length === 0;
    if (!turn || !continuing) turn = this.newTurn("history", at);
    if (!turn.user || !("run" in turn.user)) turn.user = { run: newRun(at), eventIndex: at };
    pushPiece(turn.user.run, piece, false);
  }

  private toolKey(sessionId: string, toolCallId: string): string {
    return `${sessionId}\u0000${toolCallId}`;
  }

  private tool(sessionId: string, update: Obj, at: number, isUpdate: boolean): ToolState | undefined {
    const toolCallId = asStr(update.toolCallId);
    if (toolCallId === undefined) return undefined;
    const key = this.toolKey(sessionId, toolCallId);
    let tool = this.tools.get(key);
    if (!tool) {
      const turn = this.target(at);
      tool = { kind: "tool", eventIndex: at, partial: isUpdate && !this.startsAtZero, toolCallId, title: "" };
      this.tools.set(key, tool);
      turn.activities.push(tool);
      if (turn.agent) turn.agent.broken = true;
      if (turn.thought) turn.thought.broken = true;
    }
    const title = asStr(update.title);
    if (title) tool.title = title;
    const kind = asStr(update.kind);
    if (kind) tool.toolKind = kind as ToolKind;
    const status = asStr(update.status);
    if (status) tool.status = status as ToolCallStatus;
    return tool;
  }

  private mode(modeId: string, at: number): void {
    if (modeId === this.lastMode) return;
    this.lastMode = modeId;
    const item: ModeItem = { kind: "mode", eventIndex: at, modeId };
    const turn = this.current;
    if (turn && !(turn.source === "live" && turn.answered)) turn.activities.push(item);
    else this.items.push(item);
  }

  finish(includeThoughts: boolean): TranscriptEntry[] {
    this.closeOpenTurn();
    const out: TranscriptEntry[] = [];
    for (const item of this.items) {
      if (item.kind === "mode") {
        out.push({ kind: "mode", modeId: item.modeId, eventIndex: item.eventIndex });
        continue;
      }
      if (item.kind === "marker") {
        out.push({ ...item.entry });
        continue;
      }
      const turn = item;
      const partial = turn.partial ? { partial: true } : {};
      const before = out.length;
      if (turn.user && !turn.undelivered) {
        const text = "run" in turn.user ? turn.user.run.pieces.join("").trim() : turn.user.text;
        if (text !== "") out.push({ kind: "user", text, eventIndex: turn.user.eventIndex });
      }
      if (includeThoughts && turn.thought) {
        const text = turn.thought.pieces.join("").trim();
        if (text !== "") out.push({ kind: "thought", text, eventIndex: turn.thought.eventIndex, ...partial });
      }
      for (const a of turn.activities) {
        if (a.kind === "mode") out.push({ kind: "mode", modeId: a.modeId, eventIndex: a.eventIndex });
        else out.push(toolEntry(a, turn.partial));
      }
      if (turn.agent) {
        const text = turn.agent.pieces.join("").trim();
        if (text !== "") out.push({ kind: "assistant", text, eventIndex: turn.agent.eventIndex, ...partial });
      }
      if (turn.lost > 0 && !turn.undelivered) {
        // Said even when nothing of the turn is readable: the reader must know a part is missing.
        const detail = `${turn.lost} message(s) of this turn were lost in transit`;
        out.push({ kind: "outcome", outcome: "incomplete", detail, eventIndex: turn.lostAt ?? turn.startIndex });
        continue;
      }
      // An outcome alone (a turn with nothing readable) says nothing worth replaying.
      if (turn.outcome && !turn.undelivered && out.length > before) {
        const { outcome, detail, eventIndex } = turn.outcome;
        out.push(detail === undefined ? { kind: "outcome", outcome, eventIndex } : { kind: "outcome", outcome, detail, eventIndex });
      }
    }
    return out;
  }
}

function newRun(eventIndex: number): TextRun {
  return { pieces: [], eventIndex, broken: false, lastSummary: false };
}

function toolEntry(t: ToolState, turnPartial: boolean): ToolCallEntry {
  const entry: ToolCallEntry = { kind: "tool_call", toolCallId: t.toolCallId, title: t.title, eventIndex: t.eventIndex };
  if (t.toolKind !== undefined) entry.toolKind = t.toolKind;
  if (t.status !== undefined) entry.status = t.status;
  if (t.permission !== undefined) entry.permission = t.permission;
  if (t.partial || (turnPartial && t.title === "")) entry.partial = true;
  return entry;
}

/**
 * Turn recorded events into transcript entries, oldest first (see the module comment for
 * the rules). `events` must be in strictly ascending `eventIndex` order, as
 * `listEvents`/`listLatestEvents` return them; they may start anywhere in the session.
 * Envelopes that cannot be read are skipped. Runs in time linear in the events' size.
 *
 * @throws {HistoryInputError} when `eventIndex` does not strictly increase.
 */
export function buildTranscript(events: readonly SessionEvent[], options: TranscriptOptions = {}): TranscriptEntry[] {
  for (let i = 1; i < events.length; i++) {
    const prev = events[i - 1] as SessionEvent;
    const cur = events[i] as SessionEvent;
    if (!(cur.eventIndex > prev.eventIndex)) {
      throw new HistoryInputError(
        `events must be in strictly ascending eventIndex order: index ${cur.eventIndex} follows ${prev.eventIndex} at position ${i}`,
      );
    }
  }
  const first = events[0];
  const builder = new TranscriptBuilder(first === undefined || first.eventIndex === 0 || isHistoryTrimmedMarker(first.payload));
  for (const event of events) builder.add(event);
  return builder.finish(options.includeThoughts === true);
}
