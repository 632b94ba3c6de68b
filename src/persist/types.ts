import type {
  AnyMessage,
  NewSessionRequest,
  SessionConfigOption,
  SessionModeState,
} from "@agentclientprotocol/sdk";
import type { AgentStateStorage } from "./agent-state.js";
import type { SessionLeaseCapabilities } from "./leases.js";

/**
 * One session as the client knows it, stored by {@link SessionPersistDriver.updateSession}.
 * Field names and shapes match the reference client, so records move between the two.
 */
export interface SessionRecord {
  /** The app's id for the session; stable across runtime restarts and agent sessions. */
  id: string;
  /** Agent id on the runtime, e.g. `"claude"` or `"mock"`. */
  agent: string;
  /** The agent's own session id (from `session/new`); changes when the session is rebound. */
  agentSessionId: string;
  /** Id of the last runtime connection the session was bound to. */
  lastConnectionId: string;
  /** Creation time, epoch milliseconds. */
  createdAt: number;
  /** When the session was destroyed, epoch milliseconds; absent while alive. */
  destroyedAt?: number;
  /** Id of the sandbox the runtime runs in, when one is known. */
  sandboxId?: string;
  /** The ACP `session/new` params the session was created with, replayed when rebinding. */
  sessionInit?: Omit<NewSessionRequest, "_meta">;
  /** The agent's last reported configuration options. */
  configOptions?: SessionConfigOption[];
  /** The agent's last reported modes, `null` when it has none. */
  modes?: SessionModeState | null;
}

/** Which side sent an envelope: the client (this SDK) or the agent. */
export type SessionEventSender = "client" | "agent";

/** One raw JSON-RPC envelope (request, response or notification) as it crossed the wire. */
export type JsonRpcEnvelope = AnyMessage;

/** One envelope recorded under a session, in per-session order. */
export interface SessionEvent {
  /** Globally unique event id; storing the same id twice is a no-op when identical. */
  id: string;
  /** Position in the session, unique per session, starting at 0 and without gaps when written by the client. */
  eventIndex: number;
  /** The {@link SessionRecord.id} this event belongs to. */
  sessionId: string;
  /** When the envelope was observed, epoch milliseconds. */
  createdAt: number;
  /** The runtime connection the envelope travelled on. */
  connectionId: string;
  /** Who sent the envelope. */
  sender: SessionEventSender;
  /** The raw JSON-RPC envelope. */
  payload: JsonRpcEnvelope;
}

/** Paging arguments. */
export interface ListPageRequest {
  /** Opaque cursor from a previous page's {@link ListPage.nextCursor}; absent for the first page. */
  cursor?: string;
  /** Items per page; defaults to {@link DEFAULT_PAGE_LIMIT}, clamped to {@link MAX_PAGE_LIMIT}. */
  limit?: number;
}

/** One page of a listing. */
export interface ListPage<T> {
  /** The items of this page, in listing order. */
  items: T[];
  /** Cursor of the next page; absent when this page is the last one. */
  nextCursor?: string;
}

/** Paging arguments for one session's events (ascending `eventIndex`). */
export interface ListEventsRequest extends ListPageRequest {
  /** The session whose events to list. */
  sessionId: string;
}

/** Items per page when a request gives no `limit`. */
export const DEFAULT_PAGE_LIMIT = 100;
/** The largest page a driver returns; larger `limit`s are clamped to it. */
export const MAX_PAGE_LIMIT = 1000;

/**
 * The storage contract: the five base methods every driver has, with the reference
 * client's names and shapes. Anything written for the reference client works here, and
 * this project's drivers work when handed to it.
 *
 * Ordering rules: `listSessions` returns records by ascending `(createdAt, id)`;
 * `listEvents` returns one session's events by ascending `eventIndex`.
 */
export interface SessionPersistDriver {
  /** The record with this id, or `undefined` when none is stored. */
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** One page of session records, by ascending `(createdAt, id)`. */
  listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>>;
  /** Insert or replace the record with `session.id` (upsert). */
  updateSession(session: SessionRecord): Promise<void>;
  /** One page of a session's events, by ascending `eventIndex`. */
  listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>>;
  /** Store one event of `sessionId`. */
  insertEvent(sessionId: string, event: SessionEvent): Promise<void>;
}

/**
 * Optional capabilities a driver may add. The client detects each one and uses it when
 * present, falling back to the base methods otherwise (see `capabilities.ts`). The lease
 * methods ({@link SessionLeaseCapabilities}) are optional even here: a driver has all six or
 * none (detect them with `hasLeases`). So are the agent state methods ({@link AgentStateStorage}):
 * all four or none (detect them with `hasAgentState`).
 */
export interface SessionPersistCapabilities extends Partial<AgentStateStorage>, Partial<SessionLeaseCapabilities> {
  /**
   * Store `session` only when no record with its id is stored, atomically: of any number of
   * callers racing on one id (in one process or several), exactly one gets `true`. Resolves
   * `false` and changes nothing when a record with that id exists (it is never overwritten).
   * Validated like `updateSession`; a record stored this way is upserted by `updateSession` as
   * usual. The client claims a session id with it before creating the session on the runtime.
   */
  insertSession(session: SessionRecord): Promise<boolean>;
  /**
   * Store several events of one session atomically: all of them or none. The same
   * idempotency and conflict rules as `insertEvent` apply to each event.
   */
  insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<void>;
  /**
   * The last `limit` events of a session (highest `eventIndex`), returned in ascending
   * order, in one call whose cost does not grow with the session's length.
   */
  listLatestEvents(sessionId: string, limit: number): Promise<SessionEvent[]>;
  /** Delete a session record together with all its events (and agent state files). Unknown ids are a no-op. */
  deleteSession(id: string): Promise<void>;
  /** Release connections and file handles. Further calls reject with `DriverClosedError`. */
  close(): Promise<void>;
}

/** A driver with any subset of the optional capabilities. */
export type SessionPersistDriverWithCapabilities = SessionPersistDriver &
  Partial<SessionPersistCapabilities>;

export type { AgentStateFileInfo, AgentStateStorage } from "./agent-state.js";
