import { query, type Options, type SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import { claudeAgentEnv, type ClaudeSandbox, type FakeModel, type ModelScript } from "../../harness/claude/index.js";

// The Claude Agent SDK's query() offline: its bundled Claude Code pointed at the loopback fake
// model, with the sandbox's config dir and home, and a helper that runs one prompt to the end.

/** What one `query()` produced. */
export interface QueryRun {
  /** Every message, in order. */
  readonly messages: SDKMessage[];
  /** The session id the SDK reported. */
  readonly sessionId: string;
  /** The final `result` message. */
  readonly result: Extract<SDKMessage, { type: "result" }>;
  /** The `mirror_error` messages (a store append that failed for good). */
  readonly mirrorErrors: SDKMessage[];
}

/** Run one prompt through `query()` against the fake model, in the sandbox's workspace. */
export async function runQuery(model: FakeModel, sandbox: ClaudeSandbox, prompt: string, options: Options = {}): Promise<QueryRun> {
  const messages: SDKMessage[] = [];
  const env = claudeAgentEnv({ modelBaseUrl: model.baseUrl, sandbox });
  for await (const message of query({ prompt, options: { cwd: sandbox.workspace, env, ...options } })) messages.push(message);
  const result = messages.find((m): m is Extract<SDKMessage, { type: "result" }> => m.type === "result");
  if (result === undefined) throw new Error(`query ended without a result: ${JSON.stringify(messages.map((m) => m.type))}`);
  return {
    messages,
    sessionId: result.session_id,
    result,
    mirrorErrors: messages.filter((m) => m.type === "system" && (m as { subtype?: string }).subtype === "mirror_error"),
  };
}

/**
 * A reply script that answers each turn with `noted: <the user's last words>`: Claude Code 2.x
 * may send a system-role message after the user's, which the prompt commands do not answer.
 */
export const answerLastUserText: ModelScript = (request) => {
  const user = request.messages.filter((m) => m.role === "user").at(-1);
  const texts = (user?.blocks ?? []).filter((b) => b.type === "text" && b.text !== undefined && !b.text.startsWith("<"));
  return { kind: "text", text: `noted: ${(texts.at(-1)?.text ?? "").trim()}` };
};

/** The store's project key for a workspace: the SDK's default, the cwd with every character but letters and digits as `-`. */
export function projectKeyOf(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, "-");
}
