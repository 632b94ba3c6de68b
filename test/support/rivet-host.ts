import { actor, setup } from "rivetkit";
import { db } from "rivetkit/db";
import { DEFAULT_STATE_KEY, RivetSessionPersistDriver, type RetentionReport, type RivetActorContext, type RivetSessionPersistDriverOptions } from "../../drivers/rivet.js";
import { actorDatabase as actorDatabaseOf } from "../../drivers/rivet/context.js";
import { AGENT_STATE_CHUNKS_TABLE, AGENT_STATE_FILES_TABLE, EVENTS_TABLE, META_TABLE, SESSIONS_TABLE } from "../../drivers/rivet/names.js";
import { decodeArgs, decodeValue, encodeArgs, encodeValue } from "./rivet-wire.js";
import type { ListEventsRequest, ListPage, ListPageRequest, SessionEvent, SessionPersistDriver, SessionRecord } from "../../src/index.js";

// Actors that host a RivetSessionPersistDriver, and a driver that runs each call inside one of
// them: the conformance suite and the Rivet tests drive the real driver in a real actor
// through RivetKit's client. The proxy has an optional capability's methods exactly when the
// hosted driver has them (agent state only in SQLite mode), so the suite's capability groups
// run against the real driver. Arguments and results cross as JSON text (RivetKit encodes
// action values as CBOR, which would not keep own "__proto__" keys as the suite sends them;
// rivet-wire.ts tags cycles, bigints and byte arrays),
// and typed errors come back with their name, code, reason and issues.

/** Options of a hosted driver (everything but the callback, which the host supplies). */
export type HostOptions = Omit<RivetSessionPersistDriverOptions, "onRetention">;

/** The methods the proxy forwards: the base five and the kit's capabilities. */
const METHODS = [
  "getSession",
  "listSessions",
  "updateSession",
  "listEvents",
  "insertEvent",
  "insertSession",
  "insertEvents",
  "listLatestEvents",
  "deleteSession",
  "close",
  ...(["deleteEventsBefore", "listSessionActivity", "appendAgentState", "readAgentState", "listAgentState", "deleteAgentState"] as const),
] as const;
type Method = (typeof METHODS)[number];

/** The optional capability methods: the proxy has each one only when the hosted driver has it. */
const OPTIONAL_METHODS = ["deleteEventsBefore", "listSessionActivity", "appendAgentState", "readAgentState", "listAgentState", "deleteAgentState"] as const;
type OptionalMethod = (typeof OPTIONAL_METHODS)[number];

/** Which optional methods `driver` has. */
const optionalMethodsOf = (driver: object): OptionalMethod[] =>
  OPTIONAL_METHODS.filter((name) => typeof (driver as Record<string, unknown>)[name] === "function");

interface WireError {
  name: string;
  code?: string;
  message: string;
  reason?: string;
  issues?: unknown;
  /** AgentStateOffsetError's stored size. */
  storedSize?: number;
}

/** What a hosted call answers: a value (`undefined` kept apart from `null`) or an error. */
type WireResult = { value: unknown } | { undefined: true } | { error: WireError };

function hostActions() {
  return {
    /** Run one driver method with JSON-encoded arguments. */
    call: async (c: { vars: { driver: RivetSessionPersistDriver } }, method: Method, argsJson: string): Promise<string> => {
      const driver = c.vars.driver as unknown as Record<Method, (...args: unknown[]) => Promise<unknown>>;
      let result: WireResult;
      try {
        const value = await driver[method](...decodeArgs(argsJson));
        result = value === undefined ? { undefined: true } : { value };
      } catch (error) {
        const e = error as Error & Partial<WireError>;
        result = { error: { name: e.name, code: e.code, message: e.message, reason: e.reason, issues: e.issues, storedSize: e.storedSize } };
      }
      return encodeValue(result);
    },
    /** The optional capability methods the hosted driver has. */
    capabilities: (c: { vars: { driver: RivetSessionPersistDriver } }): OptionalMethod[] => optionalMethodsOf(c.vars.driver),
    /** The driver's retention status. */
    retention: (c: { vars: { driver: RivetSessionPersistDriver } }) => JSON.stringify(c.vars.driver.retention()),
    /** Every drop reported to onRetention since this actor woke. */
    reports: (c: { vars: { reports: RetentionReport[] } }) => JSON.stringify(c.vars.reports),
    /** The raw driver data in the state, as JSON. */
    stateJson: (c: { state: object }, key: string) => JSON.stringify((c.state as Record<string, unknown>)[key] ?? null),
    /** Replace the driver's data in the state (a state written by another driver), then sleep so the next call opens it. */
    plantState: async (c: { state: object; saveState(o: { immediate: boolean }): Promise<void>; sleep(): void }, key: string, json: string) => {
      (c.state as Record<string, unknown>)[key] = JSON.parse(json);
      await c.saveState({ immediate: true });
      c.sleep();
    },
    /**
     * Replace the driver by a fresh one over empty storage: the driver's tables dropped, its
     * state key removed. The conformance suite's "fresh, empty driver" without a new actor each
     * time. Resolves the optional capability methods the new driver has.
     */
    fresh: async (
      c: RivetActorContext & { state: HostState; vars: { driver: RivetSessionPersistDriver; reports: RetentionReport[] } },
    ): Promise<OptionalMethod[]> => {
      const db = actorDatabaseOf(c);
      const tables = [EVENTS_TABLE, SESSIONS_TABLE, AGENT_STATE_FILES_TABLE, AGENT_STATE_CHUNKS_TABLE, META_TABLE];
      if (db) for (const table of tables) await db.execute(`DROP TABLE IF EXISTS ${table}`);
      delete (c.state as unknown as Record<string, unknown>)[c.state.options.stateKey ?? DEFAULT_STATE_KEY];
      await c.saveState({ immediate: true });
      c.vars.reports.length = 0;
      const events = c.vars.driver.retention().eventStorage;
      c.vars.driver = new RivetSessionPersistDriver(c, { events, ...c.state.options, onRetention: (report) => c.vars.reports.push(report) });
      return optionalMethodsOf(c.vars.driver);
    },
    /** Stop the actor; the next call wakes it (createVars runs again, the driver opens the stored state). */
    nap: (c: { sleep(): void }) => {
      c.sleep();
    },
    /** How many times this actor's createVars ran in this process (a wake is one more). */
    wakes: (c: { vars: { wake: number } }) => c.vars.wake,
  };
}

let wakeCount = 0;
interface HostState {
  options: HostOptions;
}
const createState = (_c: unknown, input: { options?: HostOptions } | undefined): HostState => ({ options: input?.options ?? {} });
/** createVars of a host: a driver with the actor's options (events in `events` unless they say). */
const createVarsWith = (events: "state" | "sqlite") => (c: RivetActorContext & { state: HostState }) => {
  const reports: RetentionReport[] = [];
  const driver = new RivetSessionPersistDriver(c, { events, ...c.state.options, onRetention: (report) => reports.push(report) });
  return { driver, reports, wake: ++wakeCount };
};

/** A host that keeps events in the actor state (`events: "state"`; RivetKit 2.3 gives every actor a database, so "auto" would pick it). */
export const stateHost = actor({ createState, createVars: createVarsWith("state"), actions: hostActions(), options: { sleepTimeout: 600_000 } });
/** A host whose actor declares its SQLite database: events there. */
export const sqliteHost = actor({ createState, createVars: createVarsWith("sqlite"), db: db(), actions: hostActions(), options: { sleepTimeout: 600_000 } });

/** A registry with both hosts, on the engine port given. */
export function hostRegistry(enginePort: number) {
  // Messages up to 16 MiB: the suite sends a ~1 MB payload, and JSON text escapes grow it.
  return setup({
    use: { stateHost, sqliteHost },
    enginePort,
    startServices: false,
    noWelcome: true,
    maxIncomingMessageSize: 16 * 1024 * 1024,
    maxOutgoingMessageSize: 16 * 1024 * 1024,
  });
}

/** The RivetKit client of {@link hostRegistry}. */
export interface HostClient {
  stateHost: { getOrCreate(key: string[], options?: { createWithInput?: unknown }): HostHandle };
  sqliteHost: { getOrCreate(key: string[], options?: { createWithInput?: unknown }): HostHandle };
}

/** A handle on one host actor. */
export interface HostHandle {
  call(method: Method, argsJson: string): Promise<string>;
  retention(): Promise<string>;
  reports(): Promise<string>;
  stateJson(key: string): Promise<string>;
  plantState(key: string, json: string): Promise<void>;
  nap(): Promise<void>;
  fresh(): Promise<OptionalMethod[]>;
  capabilities(): Promise<OptionalMethod[]>;
  wakes(): Promise<number>;
}

/**
 * Run an action, again when the engine could not route it to the actor in time
 * (`route_resolve_query_timeout`: the request never reached the actor, so resending is safe).
 * On this loaded machine the local engine sometimes fails to place a newly created actor
 * within its 15 s; nothing else is retried.
 */
export async function retryUnrouted<T>(run: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown };
      const unrouted = e.code === "route_resolve_query_timeout" || String(e.message).includes("resolving actor query route");
      if (!unrouted || attempt >= attempts) throw error;
    }
  }
}

/** Rebuild a typed error from the wire: the suite recognises errors by name and code. */
function rebuild(error: WireError): Error {
  const out = new Error(error.message) as Error & Partial<WireError>;
  out.name = error.name;
  if (error.code !== undefined) out.code = error.code;
  if (error.reason !== undefined) out.reason = error.reason;
  if (error.issues !== undefined) out.issues = error.issues;
  if (error.storedSize !== undefined) (out as Error & { storedSize?: number }).storedSize = error.storedSize;
  return out;
}

/**
 * A SessionPersistDriver whose every call runs in a host actor. It has the optional
 * capability methods it is given (those the hosted driver has, as `fresh()` or
 * `capabilities()` of the host tell), as own properties, so capability checks see what the
 * hosted driver has.
 */
export class HostedDriver implements SessionPersistDriver {
  constructor(
    readonly handle: HostHandle,
    capabilities: readonly OptionalMethod[] = [],
  ) {
    for (const name of capabilities) {
      Object.defineProperty(this, name, { value: (...args: unknown[]) => this.#call(name, ...args), enumerable: true });
    }
  }

  async #call<T>(method: Method, ...args: unknown[]): Promise<T> {
    const result = decodeValue(await retryUnrouted(() => this.handle.call(method, encodeArgs(args)))) as WireResult;
    if ("error" in result) throw rebuild(result.error);
    return ("undefined" in result ? undefined : result.value) as T;
  }

  getSession(id: string): Promise<SessionRecord | undefined> {
    return this.#call("getSession", id);
  }
  listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>> {
    return this.#call("listSessions", ...(request === undefined ? [] : [request]));
  }
  updateSession(session: SessionRecord): Promise<void> {
    return this.#call("updateSession", session);
  }
  listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
    return this.#call("listEvents", request);
  }
  insertEvent(sessionId: string, event: SessionEvent): Promise<void> {
    return this.#call("insertEvent", sessionId, event);
  }
  insertSession(session: SessionRecord): Promise<boolean> {
    return this.#call("insertSession", session);
  }
  insertEvents(sessionId: string, events: readonly SessionEvent[]): Promise<void> {
    return this.#call("insertEvents", sessionId, events);
  }
  listLatestEvents(sessionId: string, limit: number): Promise<SessionEvent[]> {
    return this.#call("listLatestEvents", sessionId, limit);
  }
  deleteSession(id: string): Promise<void> {
    return this.#call("deleteSession", id);
  }
  close(): Promise<void> {
    return this.#call("close");
  }
}
