import type { SessionStoreEntry } from "@anthropic-ai/claude-agent-sdk";

// What the session store worker (session-store-worker.ts) is told and writes, shared with the
// parent side that checks the store afterwards.

/** Arguments the parent passes as one JSON string. */
export interface SessionStoreWorkerArgs {
  /** Which store, and where. */
  store:
    | { kind: "sqlite"; filename: string }
    | { kind: "postgres"; url: string; schema: string }
    | { kind: "redis"; url: string; keyPrefix: string }
    | { kind: "file"; directory: string };
  /** The shared session. */
  key: { projectKey: string; sessionId: string; subpath?: string };
  /** This writer's number, written into its entries. */
  writer: number;
  /** Batches to append (crash mode: up to this many, until killed). */
  batches: number;
  /** `race`: wait at the barrier, then append; `crash`: append at once, acknowledging each. */
  mode: "race" | "crash";
}

/** Batch `b` of writer `w`: three lines (the second without uuid), each naming its writer, batch and line, with text of varied size. */
export function workerBatch(w: number, b: number): SessionStoreEntry[] {
  const text = `writer ${w} batch ${b} ${"lorem ipsum é🙂 ".repeat(1 + ((b * 7919) % 400))}`;
  return [
    { type: "user", uuid: `w${w}-b${b}-0`, writer: w, batch: b, line: 0, message: { role: "user", content: text } },
    { type: "last-prompt", lastPrompt: `writer ${w} batch ${b}`, writer: w, batch: b, line: 1 },
    { type: "assistant", uuid: `w${w}-b${b}-2`, writer: w, batch: b, line: 2, message: { role: "assistant", content: [{ type: "text", text }] } },
  ];
}
