// Agent state files for the CLI tests: seeding a session with the files a client's snapshots
// leave (a transcript appended turn by turn, its manifest), binary and large files, reading
// them back, and a driver with the capability hidden (a driver written for the reference
// client, which has only the base methods).
import { randomBytes } from "node:crypto";
import { fileKey, MANIFEST_KEY } from "../../src/agent-state/manifest.js";
import { MAX_AGENT_STATE_APPEND_BYTES, type AgentStateStorage } from "../../src/persist/agent-state.js";
import { AGENT_STATE_METHODS, hasAgentState } from "../../src/persist/capabilities.js";
import type { SessionPersistDriver } from "../../src/persist/types.js";

/** The driver's agent state storage; fails the test when it has none. */
export function storageOf(driver: SessionPersistDriver): AgentStateStorage {
  if (!hasAgentState(driver)) throw new Error("the test store's driver has no agent state capability");
  return driver;
}

/** Store `data` as the file `path` of `sessionId`: the first piece at offset 0, the rest appended in `pieces` parts of at most 8 MiB. */
export async function putFile(storage: AgentStateStorage, sessionId: string, path: string, data: Uint8Array, pieces = 1): Promise<void> {
  const step = Math.min(MAX_AGENT_STATE_APPEND_BYTES, Math.max(1, Math.ceil(data.length / pieces)));
  let at = 0;
  do {
    const piece = data.subarray(at, at + step);
    await storage.appendAgentState(sessionId, path, at, piece);
    at += piece.length;
  } while (at < data.length);
}

/** The transcript path the scripted agent's kind would use, as a storage key. */
export const TRANSCRIPT_KEY = fileKey(".scripted-agent/sessions/agent-ticket-0.jsonl");

/** A transcript as a client stores one: JSONL lines appended turn by turn (three appends), with unicode. */
export function transcript(turns = 3): Uint8Array {
  const lines = [];
  for (let t = 0; t < turns; t++) lines.push(JSON.stringify({ turn: t, role: "user", text: `fix src/app-${t}.ts — naïve café ✓ 🚀` }), JSON.stringify({ turn: t, role: "assistant", text: "done" }));
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

/** A snapshot manifest naming the transcript. */
export function manifest(agentSessionId: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ version: 1, kind: "scripted", agentSessionId, files: [{ path: ".scripted-agent/sessions/agent-ticket-0.jsonl", appendOnly: true }], coversEventIndex: 10, at: 1_700_000_000_000 }),
  );
}

/** Every byte value, then random bytes: `size` bytes no text decoder would keep. */
export function binary(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < Math.min(256, size); i++) data[i] = i;
  if (size > 256) data.set(randomBytes(size - 256), 256);
  return data;
}

/** Seed agent state a client would leave: `ticket-0` a transcript and its manifest, `ticket-2` a binary file of `bigBytes` and an empty one; returns them by session. */
export async function seedAgentState(driver: SessionPersistDriver, bigBytes = 9 * 1024 * 1024 + 12_345): Promise<Map<string, Map<string, Uint8Array>>> {
  const storage = storageOf(driver);
  const files = new Map<string, Map<string, Uint8Array>>([
    ["ticket-0", new Map([[TRANSCRIPT_KEY, transcript()], [MANIFEST_KEY, manifest("agent-ticket-0")]])],
    ["ticket-2", new Map([["file:/home/user/.cache/blob.bin", binary(bigBytes)], ["file:/tmp/empty", new Uint8Array(0)]])],
  ]);
  for (const [sessionId, byPath] of files) {
    for (const [path, data] of byPath) await putFile(storage, sessionId, path, data, path === TRANSCRIPT_KEY ? 3 : 2);
  }
  return files;
}

/** Every agent state file of a session, read whole. */
export async function readFiles(driver: SessionPersistDriver, sessionId: string): Promise<Map<string, Uint8Array>> {
  const storage = storageOf(driver);
  const out = new Map<string, Uint8Array>();
  for (const { path } of await storage.listAgentState(sessionId)) out.set(path, (await storage.readAgentState(sessionId, path))!);
  return out;
}

/** `driver` with the agent state methods hidden, as a driver without the capability has none. */
export function withoutAgentStateCapability<D extends object>(driver: D): D {
  const hidden = new Set<PropertyKey>(AGENT_STATE_METHODS);
  return new Proxy(driver, {
    get(target, key) {
      if (hidden.has(key)) return undefined;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has(target, key) {
      return !hidden.has(key) && Reflect.has(target, key);
    },
  });
}
