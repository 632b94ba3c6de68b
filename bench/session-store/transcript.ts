import { randomUUID } from "node:crypto";
import type { SessionStoreEntry } from "@anthropic-ai/claude-agent-sdk";

// The transcript lines the session store workloads append: alternating user and assistant
// messages shaped like Claude Code's (uuid, parentUuid, timestamp, cwd, gitBranch, version),
// prompts of 40 to 200 characters, answers of about 300: 450 to 650 bytes of JSON each.

const TEXT =
  "I'll start by reading the failing test and the module it covers, then narrow the bug down with a " +
  "minimal reproduction. The stack trace points at the cursor decoder, so I'll check how it handles " +
  "a base64url string without padding, and whether the keyset query uses the index it should.";

const PROMPT =
  "The cursor tests fail since the last merge: find out why listEvents skips an event when a page " +
  "ends exactly at the last index, fix it, and add a test that pages through 1,000 events by 7.";

/** A prompt of 40 to 200 characters, varied by `n`. */
const promptOf = (n: number) => PROMPT.slice(0, 40 + ((n * 7919) % 161));

/** Entry `n` of a session: a user line for even `n`, an assistant line for odd. */
export function transcriptEntry(sessionId: string, n: number): SessionStoreEntry {
  const common = {
    uuid: randomUUID(),
    parentUuid: randomUUID(),
    isSidechain: false,
    timestamp: new Date(1_790_000_000_000 + n * 1000).toISOString(),
    sessionId,
    cwd: "/home/dev/project",
    gitBranch: "main",
    version: "2.1.0",
  };
  return n % 2 === 0
    ? { type: "user", ...common, message: { role: "user", content: `[${n}] ${promptOf(n)}` } }
    : { type: "assistant", ...common, message: { id: `msg_${n}`, role: "assistant", content: [{ type: "text", text: `[${n}] ${TEXT}` }] } };
}

/** `count` entries of a session, numbered from `from`. */
export function transcriptEntries(sessionId: string, count: number, from = 0): SessionStoreEntry[] {
  return Array.from({ length: count }, (_, i) => transcriptEntry(sessionId, from + i));
}
