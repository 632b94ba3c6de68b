import type { NewSessionRequest } from "@agentclientprotocol/sdk";
import { deleteSessionVia, insertSessionVia } from "../persist/capabilities.js";
import type { SessionPersistDriver, SessionRecord } from "../persist/types.js";
import type { ConnectionPool } from "./connection-pool.js";
import { InvalidOptionsError, SessionExistsError } from "./errors.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import type { CallLeaseOption } from "./lease-options.js";
import { defaultCwd } from "./restoration.js";
import type { SessionLeases } from "./session-leases.js";
import type { SessionRegistry } from "./session-registry.js";
import type { Session } from "./session.js";

// How a client creates a session: the lease taken first (with leasing), the id claimed in the
// store before the runtime is asked for anything, a fresh agent session with what the request
// asks for, and nothing left behind when a step fails.

/** Arguments of `createSession`. */
export interface SessionCreateRequest {
  /** The app's id for the session (default: a random UUID). */
  id?: string;
  /** Agent id on the runtime, e.g. `"claude"`. */
  agent: string;
  /** Shorthand for `sessionInit.cwd`; ignored when `sessionInit` is given. */
  cwd?: string;
  /** The full ACP `session/new` params (default: `{ cwd, mcpServers: [] }`). */
  sessionInit?: Omit<NewSessionRequest, "_meta">;
  /** A mode to switch to right after creation (refused with `UnsupportedSessionValueError` when the agent has no such mode). */
  mode?: string;
  /** A model to choose right after creation (the config option of category `"model"`). */
  model?: string;
  /** A thought level to choose right after creation (the config option of category `"thought_level"`). */
  thoughtLevel?: string;
  /** Take the session's lease (`true` or options), or not (`false`); default: the client's `lease` option. See docs/leases.md. */
  lease?: CallLeaseOption;
}

/** Apply what a create/resume request asks for: mode, model, thought level (in that order). */
export async function applyRequested(session: Session, request: SessionCreateRequest): Promise<void> {
  if (request.mode) await session.setMode(request.mode);
  if (request.model) await session.setModel(request.model);
  if (request.thoughtLevel) await session.setThoughtLevel(request.thoughtLevel);
}

/** What creating a session works on: the client's store, handles, leases and connections. */
export interface SessionCreationParts {
  persist: SessionPersistDriver;
  sessions: SessionRegistry;
  leases: SessionLeases;
  pool: ConnectionPool;
  /** Make the handle of a record just stored, with the keeper that leased it. */
  track(record: SessionRecord, keeper: LeaseKeeper): Session;
}

/**
 * Create a session on a fresh agent session (see `SandboxAgent.createSession`). Rejects with
 * `InvalidOptionsError` without an agent id, `SessionExistsError` when the id is taken.
 */
export async function createNewSession(parts: SessionCreationParts, request: SessionCreateRequest): Promise<Session> {
  const { persist, sessions, leases, pool } = parts;
  if (!request || typeof request.agent !== "string" || request.agent === "") {
    throw new InvalidOptionsError("createSession needs an agent id");
  }
  const id = request.id ?? crypto.randomUUID();
  if (sessions.get(id)) throw new SessionExistsError(id);
  const record: SessionRecord = {
    id,
    agent: request.agent,
    agentSessionId: "",
    lastConnectionId: "",
    createdAt: Date.now(),
    sessionInit: request.sessionInit ?? { cwd: request.cwd ?? defaultCwd(), mcpServers: [] },
  };
  // With leasing, the lease comes first: nobody else can drive (or, on a failure below,
  // lose) the session this call creates.
  const keeper = leases.keeper(id);
  await leases.acquire(keeper, request.lease);
  // Claim the id in the store before anything reaches the runtime: of several clients or
  // processes creating one id, the store lets exactly one win (atomic with insertSession).
  let claimed: boolean;
  try {
    claimed = await insertSessionVia(persist, record);
  } catch (error) {
    await leases.release(keeper);
    throw error;
  }
  if (!claimed) {
    await leases.release(keeper);
    throw new SessionExistsError(id);
  }
  const session = parts.track(record, keeper);
  try {
    await session.attachNew();
    await applyRequested(session, request);
    await session.recorder.flush();
  } catch (error) {
    sessions.delete(id);
    pool.release(session.agent, session.id);
    // Leave nothing of a session that never came to be (the claim is this client's own:
    // insertSession said so), where the store allows it: bad input changes nothing.
    await session.recorder.flush().catch(() => undefined);
    await deleteSessionVia(persist, id).catch(() => undefined);
    await leases.release(keeper);
    throw error;
  }
  return session;
}
