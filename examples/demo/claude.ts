// The demo's story with Claude Code (`--agent claude`): the real agent, through its ACP adapter,
// offline. A fake Anthropic Messages API on loopback stands in for the model; what each model
// request held is how the story checks what context Claude Code had after every restoration.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { conversation, waitForTranscript, type ModelRequest } from "../../harness/claude/index.js";
import type { Session, SessionEvent } from "../../src/index.js";
import { isToolCall, isToolCallUpdate } from "../../src/protocol/updates.js";
import type { DemoOptions } from "./cli.js";
import { ms, type Narrator } from "./narrate.js";
import { streamTurn, type StreamedTurn } from "./prompting.js";
import { check, connect, readBackStore, reopen, showReplay, type ClientOnStore, type Resources } from "./resources.js";
import { startClaudeRuntimeFor, type DemoClaudeRuntime } from "./runtimes.js";
import { openStore } from "./stores.js";

const CODE_WORD = "pineapple";

/** A turn, and the model requests Claude Code made during it. */
interface ClaudeTurn extends StreamedTurn {
  requests: ModelRequest[];
}

async function turn(narrator: Narrator, runtime: DemoClaudeRuntime, session: Session, text: string): Promise<ClaudeTurn> {
  const first = runtime.model.requests.length;
  const streamed = await streamTurn(narrator, session, text);
  return { ...streamed, requests: runtime.model.requests.slice(first) };
}

/** Prints what the model got in the turn's last request: how many messages, and the conversation. */
function showModelRequest(narrator: Narrator, outcome: ClaudeTurn): ModelRequest {
  const request = outcome.requests.at(-1);
  if (request === undefined) throw new Error("Claude Code made no model request in this turn");
  const roles = request.messages.map((m) => m.role[0]).join("");
  narrator.detail(`the model's request (${request.model}) held ${request.messages.length} messages (${roles}):`);
  narrator.quote(conversation(request.messages).map((line) => (line.length > 110 ? `${line.slice(0, 107)}...` : line)).join("\n"));
  return request;
}

/** The turn's tool calls, one line each: title, kind and final status (with the output when it has one). */
function showToolCalls(narrator: Narrator, events: readonly SessionEvent[]): void {
  const calls = new Map<string, { title: string; kind: string; status: string; output: string }>();
  for (const event of events) {
    if (isToolCall(event) || isToolCallUpdate(event)) {
      const update = event.payload.params.update as { toolCallId: string; title?: string | null; kind?: string | null; status?: string | null; rawOutput?: unknown };
      const call = calls.get(update.toolCallId) ?? { title: "", kind: "", status: "", output: "" };
      if (update.title) call.title = update.title;
      if (update.kind) call.kind = update.kind;
      if (update.status) call.status = update.status;
      if (typeof update.rawOutput === "string") call.output = update.rawOutput;
      calls.set(update.toolCallId, call);
    }
  }
  for (const call of calls.values()) {
    narrator.detail(`tool call: ${call.title} (${call.kind}) -> ${call.status}${call.output ? `: ${JSON.stringify(call.output.slice(0, 80))}` : ""}`);
  }
}

/** Runs Claude Code's story; throws a StepError when a step fails. */
export async function runClaude(options: DemoOptions, narrator: Narrator, resources: Resources): Promise<void> {
  const sessionId = `demo-${randomUUID().slice(0, 8)}`;
  narrator.line(narrator.style("bold", "durable-agent demo: a Claude Code session that survives its runtime"));

  const runtime = await narrator.step("Start a fake model, and the runtime with Claude Code installed", async () => {
    const started = await startClaudeRuntimeFor(options.runtime);
    resources.runtime = started;
    narrator.detail(`fake Anthropic Messages API at ${started.model.baseUrl} (ANTHROPIC_BASE_URL; no key, no network)`);
    narrator.detail(started.describe());
    narrator.detail(`Claude Code's config dir (CLAUDE_CONFIG_DIR, its transcripts): ${started.sandbox.configDir}`);
    return started;
  });

  const { client, driver, session } = await narrator.step(`Open the store, connect a client, create session "${sessionId}"`, async () => {
    const store = await openStore(options.store, options.keep);
    resources.store = store;
    narrator.detail(`store: ${store.label}`);
    const driver = await store.open();
    const client = await connect(runtime, driver, resources);
    const started = performance.now();
    const session = await client.createSession({ id: sessionId, agent: runtime.agent, cwd: runtime.sandbox.workspace });
    narrator.detail(
      `agent "${runtime.agent}", agent session ${session.agentSessionId} (agent start + session/new: ${ms(performance.now() - started)})`,
    );
    narrator.detail(`modes: ${session.modes?.availableModes.map((m) => m.id).join(", ")}; models: ${modelChoices(session)}`);
    return { client, driver, session };
  });

  await narrator.step("Prompt (the reply streams in through session.onEvent)", async () => {
    const outcome = await turn(narrator, runtime, session, `Remember the code word: ${CODE_WORD}.`);
    check(outcome.reply.includes(`echo: Remember the code word: ${CODE_WORD}.`), `unexpected reply ${JSON.stringify(outcome.reply)}`);
    showModelRequest(narrator, outcome);
  });

  await narrator.step("A tool call that asks for permission (Bash `touch`), allowed once", async () => {
    const file = `${runtime.sandbox.workspace}/demo-note.txt`;
    const asked: string[] = [];
    const off = session.onPermissionRequest((request) => {
      asked.push(`${request.options.map((o) => o.optionId).join("/")}`);
      void session.respondPermission(request.id, "once");
    });
    const outcome = await turn(narrator, runtime, session, `fake:bash touch ${file}`);
    off();
    narrator.detail(`permission asked (options ${asked.join("; ")}), answered "allow once" by the onPermissionRequest listener`);
    showToolCalls(narrator, outcome.events);
    check(asked.length === 1, `expected one permission request, got ${asked.length}`);
    check(outcome.reply.includes("tool said:"), "the model did not get the tool's result");
    // Claude Code writes its transcript lazily: let this turn reach the disk, as it would have
    // in a sandbox that lives on, before the runtime is killed.
    await waitForTranscript(runtime.sandbox, session.agentSessionId, "tool said:");
  });

  await narrator.step("Kill the runtime (SIGKILL, no goodbye) and start it again; the sandbox is kept", async () => {
    const before = runtime.describe();
    await runtime.kill();
    narrator.detail(`killed: ${before} (Claude Code with it)`);
    await runtime.start();
    narrator.detail(`started: ${runtime.describe()}`);
    narrator.detail("the agent sessions are gone from the runtime; Claude Code's transcripts are still in its config dir");
  });

  await narrator.step("Prompt again under the SAME client (it detects the loss and restores the session)", async () => {
    const outcome = await turn(narrator, runtime, session, "What was the code word?");
    const method = session.lastRestoration?.method;
    narrator.detail(`restored after the runtime restart: ${method} (Claude Code reloaded its transcript; no replay sent)`);
    const request = showModelRequest(narrator, outcome);
    check(method === "load", `expected restoration by session/load, got ${method}`);
    check(holds(request, CODE_WORD), `the model's request does not hold the first turn ("${CODE_WORD}")`);
  });

  let current: ClientOnStore = { client, driver };
  let live = session;
  await narrator.step("Open a FRESH client on the same store and resume the session (as after an app restart)", async () => {
    await waitForTranscript(runtime.sandbox, session.agentSessionId, "echo: What was the code word?");
    const { resumed, method } = await reopen(narrator, runtime, resources, current, sessionId, (next) => (current = next));
    narrator.detail(`resumed in a fresh client: ${method}`);
    check(method === "load", `expected resume by session/load, got ${method}`);
    live = resumed;
    const outcome = await turn(narrator, runtime, resumed, "Still there after the app restarted?");
    const request = showModelRequest(narrator, outcome);
    check(holds(request, CODE_WORD), `the model's request does not hold the first turn ("${CODE_WORD}")`);
  });

  await narrator.step("Lose the sandbox: kill the runtime, delete Claude Code's config dir, start again, prompt", async () => {
    await runtime.loseSandbox();
    narrator.detail("a new runtime with an empty Claude Code config dir: the agent has no transcript of the session");
    const outcome = await turn(narrator, runtime, live, "And after losing the sandbox?");
    const method = live.lastRestoration?.method;
    narrator.detail(`restored: ${method} (session/load failed with "Resource not found"; a fresh agent session got the history)`);
    showReplay(narrator, live);
    const request = showModelRequest(narrator, outcome);
    check(method === "replay", `expected restoration by replay, got ${method}`);
    check(holds(request, CODE_WORD), `the replay the model got does not hold the first turn ("${CODE_WORD}")`);
  });

  await readBackStore(narrator, current.driver, sessionId);

  narrator.line();
  narrator.line(
    narrator.style(
      "green",
      `Demo complete in ${ms(narrator.elapsed())}: the Claude Code session survived a runtime restart, a fresh client and a lost ` +
        "sandbox, with every envelope recorded.",
    ),
  );
}

function holds(request: ModelRequest, text: string): boolean {
  return request.messages.some((m) => m.blocks.some((b) => b.text?.includes(text) === true));
}

function modelChoices(session: Session): string {
  const option = session.configOptions?.find((o) => o.category === "model");
  if (!option || option.type !== "select") return "-";
  const values = (option.options as { value?: string }[]).map((o) => o.value).filter((v): v is string => typeof v === "string");
  return values.join(", ");
}
