import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";
import { compareCodePoints } from "../../src/persist/cursor.js";
import { APPEND_AGENT_STATE, DELETE_AGENT_STATE, DELETE_AGENT_STATE_FILE } from "./agent-state-scripts.js";
import type { RedisClient } from "./connection.js";
import { tagOf } from "./names.js";
import type { Script } from "./scripts.js";

/** A Buffer over the same bytes (no copy): what ioredis sends as a binary-safe argument. */
const asBuffer = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * The Redis driver's agent state: per session a hash `<prefix>{s:<id>}:agent-state` (path →
 * `<size>:<updatedAt>`) and per file a binary-safe string `<prefix>{s:<id>}:agent-state:<path>`
 * grown with APPEND. Writes are Lua scripts (the size check and the write in one atomic
 * step); a read is one GET, so it never sees half an append.
 */
export class RedisAgentState {
  readonly #client: () => RedisClient;
  readonly #prefix: string;

  /** @param client the backend's client (read at each call). */
  constructor(client: () => RedisClient, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  /** The session's agent state hash. */
  #index(sessionId: string): string {
    return `${this.#prefix}{s:${tagOf(sessionId)}}:agent-state`;
  }

  /** The prefix of the session's file keys; the path follows it unescaped (binary-safe key names). */
  #filePrefix(sessionId: string): string {
    return `${this.#index(sessionId)}:`;
  }

  async append(w: AgentStateWrite): Promise<number | undefined> {
    const keys = [this.#filePrefix(w.sessionId) + w.path, this.#index(w.sessionId)];
    const reply = await run(this.#client(), APPEND_AGENT_STATE, keys, [w.path, String(w.offset), asBuffer(w.data), String(w.updatedAt)]);
    const size = Number(reply);
    return size === -1 ? undefined : size;
  }

  /** One GET of the file's string, as bytes; a fresh array. */
  async read(sessionId: string, path: string): Promise<Uint8Array | undefined> {
    const value = await this.#client().getBuffer(this.#filePrefix(sessionId) + path);
    return value === null ? undefined : new Uint8Array(value);
  }

  /** One HGETALL of the session's hash, sorted by code point. */
  async list(sessionId: string): Promise<AgentStateFileInfo[]> {
    const fields = await this.#client().hgetall(this.#index(sessionId));
    const files: AgentStateFileInfo[] = [];
    for (const [path, meta] of Object.entries(fields)) {
      const colon = meta.indexOf(":");
      files.push({ path, size: Number(meta.slice(0, colon)), updatedAt: Number(meta.slice(colon + 1)) });
    }
    return files.sort((a, b) => compareCodePoints(a.path, b.path));
  }

  async delete(sessionId: string, path: string | undefined): Promise<void> {
    if (path === undefined) {
      await run(this.#client(), DELETE_AGENT_STATE, [this.#index(sessionId)], [this.#filePrefix(sessionId)]);
    } else {
      await run(this.#client(), DELETE_AGENT_STATE_FILE, [this.#filePrefix(sessionId) + path, this.#index(sessionId)], [path]);
    }
  }
}

/** {@link Script.run} with binary arguments: EVALSHA, then EVAL when the server lost the script. */
async function run(client: RedisClient, script: Script, keys: readonly string[], args: readonly (string | Buffer)[]): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error | undefined)?.message).startsWith("NOSCRIPT")) throw error;
    return client.eval(script.source, keys.length, ...keys, ...args);
  }
}
