import { randomUUID } from "node:crypto";
import type { SessionKey, SessionStoreEntry } from "../../session-store/types.js";

// Transcript lines shaped like Claude Code's (user and assistant messages, titles, tags,
// entries without uuid) and keys, for the session store suite and stores' own tests.

let clock = Date.parse("2026-01-01T00:00:00.000Z");
const nextTimestamp = () => new Date((clock += 1000)).toISOString();

/** A fresh key: a project and a session no other test uses, the main transcript. */
export function freshKey(label = "session"): SessionKey {
  return { projectKey: `-tmp-${label}-${randomUUID().slice(0, 8)}`, sessionId: randomUUID() };
}

/** A user message line, with a uuid. */
export function userEntry(text: string, extra: Record<string, unknown> = {}): SessionStoreEntry {
  return {
    type: "user",
    uuid: randomUUID(),
    parentUuid: null,
    timestamp: nextTimestamp(),
    isSidechain: false,
    cwd: "/home/dev/project",
    gitBranch: "main",
    message: { role: "user", content: text },
    ...extra,
  };
}

/** An assistant message line, with a uuid. */
export function assistantEntry(text: string, extra: Record<string, unknown> = {}): SessionStoreEntry {
  return {
    type: "assistant",
    uuid: randomUUID(),
    parentUuid: randomUUID(),
    timestamp: nextTimestamp(),
    isSidechain: false,
    message: { id: `msg_${randomUUID().slice(0, 8)}`, role: "assistant", content: [{ type: "text", text }] },
    ...extra,
  };
}

/** A line without uuid, as Claude Code writes for titles, tags and mode markers. */
export function markerEntry(type: string, fields: Record<string, unknown> = {}): SessionStoreEntry {
  return { type, ...fields };
}

/** `n` alternating user and assistant lines, numbered from `from`. */
export function turnEntries(n: number, from = 0): SessionStoreEntry[] {
  const out: SessionStoreEntry[] = [];
  for (let i = from; i < from + n; i++) out.push(i % 2 === 0 ? userEntry(`prompt ${i}`) : assistantEntry(`answer ${i}`));
  return out;
}

/** What a store must give back for `entries`: their JSON round trip (deep-equal, not the same objects). */
export function asStored(entries: readonly SessionStoreEntry[]): SessionStoreEntry[] {
  return JSON.parse(JSON.stringify(entries)) as SessionStoreEntry[];
}
