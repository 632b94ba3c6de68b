import type { ContentBlock } from "@agentclientprotocol/sdk";
import type { SessionEvent } from "../persist/types.js";
import { sessionUpdateOf } from "./updates.js";

// The two things an app shows of a conversation, read from recorded events without casting:
// the text the agent (or a replayed user message, or a thought) streams, and what was prompted.

/**
 * The text of a message or thought chunk (`agent_message_chunk`, `user_message_chunk`,
 * `agent_thought_chunk`) whose content is a text block; `undefined` for any other event.
 *
 * @example
 * session.onEvent((event) => {
 *   if (isAgentMessageChunk(event)) process.stdout.write(textOf(event) ?? "");
 * });
 */
export function textOf(event: Pick<SessionEvent, "payload">): string | undefined {
  const update = sessionUpdateOf(event);
  switch (update?.sessionUpdate) {
    case "agent_message_chunk":
    case "user_message_chunk":
    case "agent_thought_chunk":
      return update.content.type === "text" && typeof update.content.text === "string" ? update.content.text : undefined;
    default:
      return undefined;
  }
}

/**
 * The content blocks of a `session/prompt` request (what was sent to the agent, a replay
 * block the SDK put first included: see `REPLAY_HEADER`); `undefined` for any other event.
 *
 * @example
 * const prompt = promptOf(event);
 * if (prompt) for (const block of prompt) if (block.type === "text") showUserMessage(block.text);
 */
export function promptOf(event: Pick<SessionEvent, "payload">): ContentBlock[] | undefined {
  const payload: unknown = event.payload;
  if (typeof payload !== "object" || payload === null) return undefined;
  const { method, id, params } = payload as { method?: unknown; id?: unknown; params?: unknown };
  if (method !== "session/prompt" || id === undefined) return undefined;
  const prompt = (params as { prompt?: unknown } | null | undefined)?.prompt;
  if (!Array.isArray(prompt)) return undefined;
  return prompt.filter(
    (block): block is ContentBlock => typeof block === "object" && block !== null && typeof (block as { type?: unknown }).type === "string",
  );
}
