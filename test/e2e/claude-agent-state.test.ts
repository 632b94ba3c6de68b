// Full-fidelity restore with the real Claude Code adapter (offline, the fake model) on the real
// sandbox-agent runtime: Claude Code's JSONL transcript is copied out after every turn; the
// sandbox is lost (runtime restarted with Claude's config dir and home emptied); the next
// prompt's model request carries the same earlier message list as without the loss (tool_use
// and tool_result blocks included), not a text replay. Then a plain restart (session/load of
// the agent's own file), a further loss, and a fork of the restored session.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { conversation, startFakeModel, waitForTranscript, type FakeModel, type ModelRequest } from "../../harness/claude/index.js";
import { RawAcp, startRuntime, type RuntimeHandle } from "../../harness/index.js";
import {
  claudeCodeAgentState,
  InMemorySessionPersistDriver,
  REPLAY_HEADER,
  SandboxAgent,
  type DurableAgentError,
  type Session,
} from "../../src/index.js";

let model: FakeModel;
let runtime: RuntimeHandle;
const clients: SandboxAgent[] = [];

beforeAll(async () => {
  model = await startFakeModel();
  runtime = await startRuntime({ claude: { modelBaseUrl: model.baseUrl } });
}, 60_000);

afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose().catch(() => undefined);
});

afterAll(async () => {
  await runtime?.stop();
  await model?.close();
});

async function connect(store: InMemorySessionPersistDriver, errors: DurableAgentError[]): Promise<SandboxAgent> {
  const sdk = await SandboxAgent.connect({
    baseUrl: runtime.baseUrl,
    token: runtime.token,
    persist: store,
    // The harness runs Claude Code with CLAUDE_CONFIG_DIR set; on a stock runtime the default (~/.claude) applies.
    agentState: { kinds: { claude: claudeCodeAgentState({ configDir: runtime.claude!.configDir }) } },
    onError: (error) => errors.push(error),
  });
  clients.push(sdk);
  return sdk;
}

/** Prompt; return the model requests of the agent's own loop made during the turn. */
async function turn(session: Session, text: string): Promise<ModelRequest[]> {
  const first = model.requests.length;
  const response = await session.prompt(text);
  expect(response.stopReason).toBe("end_turn");
  return model.requests.slice(first).filter((request) => request.tools.length > 0);
}

async function snapshotsTaken(sdk: SandboxAgent, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (sdk.stats().agentState.snapshots + sdk.stats().agentState.snapshotFailures < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} snapshots: ${JSON.stringify(sdk.stats().agentState)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function blockTypes(request: ModelRequest): string[] {
  return request.messages.flatMap((message) => message.blocks.map((block) => block.type));
}

describe("agent state snapshots with Claude Code on sandbox-agent", () => {
  it("after the sandbox is lost, the model sees the same earlier messages (tool blocks included); load, a further loss and a fork still work", async () => {
    const errors: DurableAgentError[] = [];
    const store = new InMemorySessionPersistDriver();
    const sdk = await connect(store, errors);
    const session = await sdk.createSession({ id: "claude-snap", agent: "claude", cwd: runtime.claude!.workspace });
    const agentSessionId = session.agentSessionId;

    await turn(session, "remember the word pineapple");
    const before = (await turn(session, "fake:bash echo kept")).at(-1)!;
    expect(blockTypes(before)).toEqual(expect.arrayContaining(["tool_use", "tool_result"]));
    await snapshotsTaken(sdk, 2);
    const earlier = conversation(before.messages);

    // The sandbox is lost: a new one, without Claude's config dir (its transcripts).
    await runtime.restartOnNewSandbox();
    const after = (await turn(session, "what was the word?")).at(-1)!;
    expect(session.lastRestoration).toMatchObject({ method: "load", agentState: { files: 1 } });
    expect(session.agentSessionId).toBe(agentSessionId);
    const now = conversation(after.messages);
    // What a restart that kept the sandbox gives (see the Claude suite): the earlier list, the
    // reply to its last message, then the new prompt; not one message carrying a replay.
    expect(now.slice(0, earlier.length)).toEqual(earlier);
    expect(now[earlier.length]).toBe("assistant: tool said: kept");
    expect(now.at(-1)).toBe("user: what was the word?");
    expect(after.messages).toHaveLength(before.messages.length + 2);
    expect(blockTypes(after)).toEqual(expect.arrayContaining(["tool_use", "tool_result"]));
    expect(after.messages.flatMap((m) => m.blocks).some((b) => (b.text ?? "").startsWith(REPLAY_HEADER))).toBe(false);
    console.log(
      `[agent state, claude] before the loss the model's request held ${before.messages.length} messages; after it ${after.messages.length} ` +
        `(restored from a snapshot: ${JSON.stringify(session.lastRestoration?.agentState)})`,
    );

    // A plain restart (the sandbox kept): session/load of the agent's own file, nothing written back.
    await waitForTranscript(runtime.claude!, agentSessionId, "echo: what was the word?");
    await snapshotsTaken(sdk, 3);
    await runtime.restart();
    const reloaded = (await turn(session, "and again?")).at(-1)!;
    expect(session.lastRestoration?.method).toBe("load");
    expect(session.lastRestoration?.agentState).toBeUndefined();
    expect(reloaded.messages).toHaveLength(after.messages.length + 2);

    // A further loss: the snapshot, kept up to date since the restore, holds every turn.
    await waitForTranscript(runtime.claude!, agentSessionId, "echo: and again?");
    await snapshotsTaken(sdk, 4);
    await runtime.restartOnNewSandbox();
    const again = (await turn(session, "still there?")).at(-1)!;
    expect(session.lastRestoration).toMatchObject({ method: "load", agentState: { files: 1 } });
    expect(conversation(again.messages).slice(0, conversation(reloaded.messages).length)).toEqual(conversation(reloaded.messages));
    expect(again.messages).toHaveLength(reloaded.messages.length + 2);

    // The adapter advertises session fork: the restored session forks (Claude Code resumes its transcript into a new one).
    const fork = (await session.rawSend("session/fork", { cwd: runtime.claude!.workspace, mcpServers: [] })) as { sessionId?: string };
    expect(typeof fork.sessionId).toBe("string");
    expect(fork.sessionId).not.toBe(agentSessionId);
    // A turn on the fork (sent raw on the session's runtime instance: the SDK binds the session, not the fork)
    // reaches the model with the restored session's whole conversation.
    const first = model.requests.length;
    const answer = await new RawAcp(runtime, session.lastConnectionId).post({
      jsonrpc: "2.0",
      id: "fork-turn",
      method: "session/prompt",
      params: { sessionId: fork.sessionId, prompt: [{ type: "text", text: "on the fork" }] },
    });
    expect(answer.body).toMatchObject({ result: { stopReason: "end_turn" } });
    const forked = model.requests.slice(first).filter((request) => request.tools.length > 0).at(-1)!;
    expect(conversation(forked.messages).slice(0, conversation(again.messages).length)).toEqual(conversation(again.messages));
    expect(conversation(forked.messages).at(-1)).toBe("user: on the fork");
    expect(blockTypes(forked)).toEqual(expect.arrayContaining(["tool_use", "tool_result"]));

    expect(errors).toEqual([]);
  }, 120_000);
});
