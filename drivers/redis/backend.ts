import type { EventClash, PersistBackend, SessionKey } from "../../src/persist/backend.js";
import type { LeaseAcquireResult, SessionLease } from "../../src/persist/leases.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import type { AgentStateFileInfo } from "../../src/persist/agent-state.js";
import type { AgentStateWrite } from "../../src/persist/backend.js";
import { RedisAgentState } from "./agent-state.js";
import { closeClient, openClient, type Connection } from "./connection.js";
import { INSERT_EVENTS_FENCED, WRITE_SESSION_FENCED } from "./lease-scripts.js";
import { RedisLeases } from "./leases.js";
import { PersistKeys } from "./names.js";
import { trimEvents } from "./retention.js";
import type { ResolvedRedisOptions } from "./options.js";
import { DELETE_SESSION, INSERT_EVENTS, SCAN_SESSIONS, WRITE_SESSION } from "./persist-scripts.js";
import { eventJson } from "../shared/event-json.js";
import { createdAtKey, orderMember, recordValue, valueToEvent, valueToRecord } from "./rows.js";

/**
 * Redis storage: every write is one Lua script (atomic, so safe with any number of writers),
 * every read of events one sorted-set range (`O(log n + page)`), listings one script over
 * the lex-ordered index. See docs/drivers/redis.md for the key layout.
 */
export class RedisBackend implements PersistBackend {
  readonly #connection: Connection;
  readonly #keys: PersistKeys;
  readonly #agentState: RedisAgentState;
  readonly #leases: RedisLeases;

  /** Nothing is awaited: an owned client connects in the background, commands queue meanwhile. */
  constructor(options: ResolvedRedisOptions) {
    this.#connection = openClient(options.source);
    this.#keys = new PersistKeys(options.prefix);
    this.#agentState = new RedisAgentState(() => this.#client, options.prefix);
    this.#leases = new RedisLeases(() => this.#client, options.prefix);
  }

  get #client() {
    return this.#connection.client;
  }

  /** One HGET. */
  async readSession(id: string): Promise<SessionRecord | undefined> {
    const value = await this.#client.hget(this.#keys.records, id);
    return value === null ? undefined : valueToRecord(value);
  }

  /** One script: the record and its listing entry, replaced together. */
  async writeSession(record: SessionRecord): Promise<void> {
    await this.#write(record, "put");
  }

  /** The same script, storing only when the id is free: of any number of racing writers, one stores. */
  async insertSession(record: SessionRecord): Promise<boolean> {
    return (await this.#write(record, "add")) === 1;
  }

  /** One script: a lex range of the listing index, then the records it names. */
  async scanSessions(after: SessionKey | undefined, limit: number): Promise<SessionRecord[]> {
    const min = after === undefined ? "-" : `(${orderMember(after.createdAt, after.id)}`;
    const values = (await SCAN_SESSIONS.run(this.#client, [this.#keys.order, this.#keys.records], [min, limit])) as (string | null)[];
    const records: SessionRecord[] = [];
    for (const value of values) if (value !== null) records.push(valueToRecord(value));
    return records;
  }

  /** One ZRANGEBYSCORE after `afterIndex`. */
  async scanEvents(sessionId: string, afterIndex: number, limit: number): Promise<SessionEvent[]> {
    const values = await this.#client.zrangebyscore(this.#keys.events(sessionId), `(${afterIndex}`, "+inf", "LIMIT", 0, limit);
    return values.map(valueToEvent);
  }

  /** One ZRANGE by rank from the end: the last `limit` members, ascending. */
  async readTail(sessionId: string, limit: number): Promise<SessionEvent[]> {
    const values = await this.#client.zrange(this.#keys.events(sessionId), String(-limit), "-1");
    return values.map(valueToEvent);
  }

  /**
   * One script that checks every key of the batch and writes all of it, or nothing; a
   * refusal is explained by reading the events that hold the ids.
   */
  async insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<readonly EventClash[] | undefined> {
    return this.#insert(sessionId, events, undefined);
  }

  /** The insert script, or its fenced form with `lease` (which throws `LeaseLostError` for the fence's refusal). */
  async #insert(sessionId: string, events: readonly SessionEvent[], lease: SessionLease | undefined): Promise<readonly EventClash[] | undefined> {
    const args: string[] = [sessionId];
    const single = events.length === 1;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as SessionEvent;
      args.push(event.id, String(event.eventIndex), eventJson(event, single ? "event" : `events[${i}]`));
    }
    const keys = [this.#keys.events(sessionId), this.#keys.eventIds];
    let refused: (number | string)[];
    if (lease === undefined) refused = (await INSERT_EVENTS.run(this.#client, keys, args)) as (number | string)[];
    else {
      const reply = await INSERT_EVENTS_FENCED.run(this.#client, [...keys, this.#leases.key(sessionId)], [...args, String(lease.token)]);
      this.#leases.check(lease, reply);
      refused = reply as (number | string)[];
    }
    if (refused.length === 0) return undefined;
    const clashes: EventClash[] = [];
    for (let i = 0; i < refused.length; i += 2) {
      const event = events[Number(refused[i])] as SessionEvent;
      const owner = String(refused[i + 1]);
      if (owner === "") {
        clashes.push({ event, indexTaken: true });
        continue;
      }
      const stored = await this.#eventAt(owner);
      // Gone (deleted since) or no longer that id: say nothing, the kit retries.
      if (stored !== undefined && stored.id === event.id) clashes.push({ event, storedWithId: stored });
    }
    return clashes;
  }

  /** One script: the ids freed in the registry, one ZREMRANGEBYSCORE, the marker (drivers/redis/retention.ts). */
  deleteEventsBefore(sessionId: string, beforeIndex: number, marker: SessionEvent | undefined): Promise<number> {
    return trimEvents(this.#client, this.#keys, sessionId, beforeIndex, marker);
  }

  /** One script: record, listing entry, events and registry entries, in one atomic step; then one for its agent state. */
  async deleteSession(id: string): Promise<void> {
    const k = this.#keys;
    await DELETE_SESSION.run(this.#client, [k.events(id), k.records, k.order, k.eventIds], [id]);
    await this.#agentState.delete(id, undefined);
  }

  /** One script: the size check and the SET or APPEND (see drivers/redis/agent-state.ts). */
  appendAgentState(write: AgentStateWrite): Promise<number | undefined> {
    return this.#agentState.append(write);
  }

  /** One GET of the file's string. */
  readAgentState(sessionId: string, path: string): Promise<Uint8Array | undefined> {
    return this.#agentState.read(sessionId, path);
  }

  /** One HGETALL of the session's agent state hash. */
  listAgentState(sessionId: string): Promise<AgentStateFileInfo[]> {
    return this.#agentState.list(sessionId);
  }

  /** One script. */
  deleteAgentState(sessionId: string, path: string | undefined): Promise<void> {
    return this.#agentState.delete(sessionId, path);
  }

  /** One script on the server's clock (see drivers/redis/lease-scripts.ts). */
  acquireLease(sessionId: string, holder: string, ttlMs: number): Promise<LeaseAcquireResult> {
    return this.#leases.acquire(sessionId, holder, ttlMs);
  }

  /** One script: extend when the token is current. */
  renewLease(lease: SessionLease, ttlMs: number): Promise<SessionLease> {
    return this.#leases.renew(lease, ttlMs);
  }

  /** One script: expire when the token is current. */
  releaseLease(lease: SessionLease): Promise<void> {
    return this.#leases.release(lease);
  }

  /** One HMGET. */
  readLease(sessionId: string): Promise<SessionLease | undefined> {
    return this.#leases.read(sessionId);
  }

  /** The insert script behind the token check, in one atomic script. */
  insertEventsFenced(lease: SessionLease, events: readonly SessionEvent[]): Promise<readonly EventClash[] | undefined> {
    return this.#insert(lease.sessionId, events, lease);
  }

  /** The record script behind the token check, in one atomic script. */
  async writeSessionFenced(lease: SessionLease, record: SessionRecord): Promise<void> {
    const keys = [this.#keys.records, this.#keys.order, this.#leases.key(lease.sessionId)];
    const args = [record.id, createdAtKey(record.createdAt), recordValue(record), "put", String(lease.token)];
    this.#leases.check(lease, await WRITE_SESSION_FENCED.run(this.#client, keys, args));
  }

  /** QUIT the client when the backend opened it; the caller's client stays open. */
  async close(): Promise<void> {
    await closeClient(this.#connection);
  }

  /** Run the record script in `mode`. */
  async #write(record: SessionRecord, mode: "put" | "add"): Promise<number> {
    const keys = [this.#keys.records, this.#keys.order];
    return Number(await WRITE_SESSION.run(this.#client, keys, [record.id, createdAtKey(record.createdAt), recordValue(record), mode]));
  }

  /** The event a registry entry (`<eventIndex>:<session id>`) points at, if it is still there. */
  async #eventAt(owner: string): Promise<SessionEvent | undefined> {
    const colon = owner.indexOf(":");
    const index = owner.slice(0, colon);
    const [value] = await this.#client.zrangebyscore(this.#keys.events(owner.slice(colon + 1)), index, index);
    return value === undefined ? undefined : valueToEvent(value);
  }
}
