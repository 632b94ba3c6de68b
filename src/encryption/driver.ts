import { hasAgentState } from "../persist/capabilities.js";
import { EventConflictError } from "../persist/errors.js";
import { parseSessionEvent, parseSessionEvents, parseSessionRecord } from "../persist/schemas.js";
import type {
  ListEventsRequest,
  ListPage,
  ListPageRequest,
  SessionEvent,
  SessionPersistDriver,
  SessionPersistDriverWithCapabilities,
  SessionRecord,
} from "../persist/types.js";
import { encryptedAgentState } from "./agent-state.js";
import { isEncryptedValue } from "./envelope.js";
import { DecryptionFailedError } from "./errors.js";
import type { EncryptionKey } from "./keys.js";
import { Keyring } from "./keyring.js";

/** Options of {@link encryptedPersistDriver}. */
export interface EncryptedPersistDriverOptions {
  /** The keys: the first encrypts what is written, every one decrypts what names it (rotation: `[newKey, oldKey]`). */
  keys: readonly EncryptionKey[];
  /**
   * Read events and record fields stored in clear (written before encryption was turned on)
   * as they are, instead of failing with `DecryptionFailedError` (reason `"plaintext"`).
   * Default false: a value in clear where ciphertext belongs is treated as tampering.
   */
  readPlaintext?: boolean;
}

/** The session record fields stored encrypted. */
export const ENCRYPTED_RECORD_FIELDS = ["sessionInit", "configOptions", "modes"] as const;

/**
 * The optional methods the decorator passes on when the wrapped driver has them, each
 * encrypting what it writes and decrypting what it reads. The agent state methods are passed
 * on too, encrypted (see docs/encryption.md), when the wrapped driver has all four. Any other
 * method of the wrapped driver is not passed on: it would move data around the encryption.
 */
export const ENCRYPTED_DRIVER_METHODS = [
  "insertSession",
  "insertEvents",
  "listLatestEvents",
  "deleteSession",
  "close",
  "acquireLease",
  "renewLease",
  "releaseLease",
  "getLease",
  "insertEventsFenced",
  "updateSessionFenced",
  "deleteEventsBefore",
] as const;

/** A lease as the fenced methods take it: only its session is read here. */
interface LeaseLike {
  sessionId: string;
}

type AnyMethod = (...args: never[]) => Promise<unknown>;

const eventContext = (e: SessionEvent): string => JSON.stringify(["event", e.sessionId, e.id, e.eventIndex, e.createdAt, e.sender, e.connectionId]);
const recordContext = (id: string, field: string): string => JSON.stringify(["session", id, field]);

/**
 * A driver that stores event payloads and the record fields {@link ENCRYPTED_RECORD_FIELDS}
 * encrypted (AES-GCM 256 through WebCrypto, in Node >= 20 and browsers), and decrypts them on
 * read. Everything paging and ordering need stays in clear: ids, `eventIndex`, `createdAt`,
 * `sender`, `connectionId`, and the record's `agent`, `agentSessionId`, `lastConnectionId`,
 * `createdAt`, `destroyedAt`, `sandboxId` (see docs/encryption.md). Each payload is bound to
 * its event's id, session, index, time, sender and connection: a ciphertext moved, or any of
 * them changed in the store, fails with {@link DecryptionFailedError}, as do a changed
 * ciphertext and an unknown key id. Input is validated before encryption, as the driver would.
 *
 * @example
 * const persist = encryptedPersistDriver(new SQLiteSessionPersistDriver({ filename }), { keys: [{ id: "2026-11", key: rawKeyBytes }] });
 */
export function encryptedPersistDriver(driver: SessionPersistDriver, options: EncryptedPersistDriverOptions): SessionPersistDriverWithCapabilities {
  const keyring = new Keyring(options?.keys);
  const readPlaintext = options?.readPlaintext === true;
  const inner = driver as unknown as Record<string, AnyMethod | undefined>;
  const call = <T>(name: string, ...args: unknown[]): Promise<T> => (inner[name] as unknown as (...a: unknown[]) => Promise<T>).apply(driver, args);

  const encryptEvent = async (event: SessionEvent, keyId?: string): Promise<SessionEvent> => ({
    ...event,
    payload: (await keyring.encrypt(event.payload, eventContext(event), "synthetic", keyId)) as unknown as SessionEvent["payload"],
  });
  const decryptEvent = async (event: SessionEvent): Promise<SessionEvent> => {
    const where = `event "${event.id}" (index ${event.eventIndex}) of session "${event.sessionId}"`;
    if (!isEncryptedValue(event.payload)) {
      if (readPlaintext) return event;
      throw new DecryptionFailedError("plaintext", where);
    }
    return { ...event, payload: (await keyring.decrypt(event.payload, eventContext(event), where)) as SessionEvent["payload"] };
  };
  const decryptEvents = (events: SessionEvent[]): Promise<SessionEvent[]> => Promise.all(events.map(decryptEvent));

  const encryptRecord = async (record: SessionRecord): Promise<SessionRecord> => {
    const out: Record<string, unknown> = { ...record };
    for (const field of ENCRYPTED_RECORD_FIELDS) {
      const value = record[field];
      if (value === undefined || value === null) continue;
      const sealed = await keyring.encrypt(value, recordContext(record.id, field), "random");
      // configOptions must stay an array of objects for the drivers' schemas.
      out[field] = field === "configOptions" ? [sealed] : sealed;
    }
    return out as unknown as SessionRecord;
  };
  const decryptRecord = async (record: SessionRecord): Promise<SessionRecord> => {
    const out: Record<string, unknown> = { ...record };
    for (const field of ENCRYPTED_RECORD_FIELDS) {
      const stored: unknown = record[field];
      if (stored === undefined || stored === null) continue;
      const sealed = field === "configOptions" && Array.isArray(stored) && stored.length === 1 && isEncryptedValue(stored[0]) ? stored[0] : stored;
      const where = `session "${record.id}".${field}`;
      if (!isEncryptedValue(sealed)) {
        if (readPlaintext) continue;
        throw new DecryptionFailedError("plaintext", where);
      }
      out[field] = await keyring.decrypt(sealed, recordContext(record.id, field), where);
    }
    return out as unknown as SessionRecord;
  };

  /**
   * Insert encrypted events; when the store reports a different event under one of their ids,
   * that event is tried under the older keys, one after the other: an event stored before a
   * rotation encrypts to the same bytes under its old key, so storing it again stays the no-op
   * it is without encryption. The other events of the batch stay under the writing key.
   */
  const insertSealed = async (events: readonly SessionEvent[], write: (sealed: SessionEvent[]) => Promise<void>): Promise<void> => {
    const keyOf = new Map<string, number>();
    let firstConflict: EventConflictError | undefined;
    for (;;) {
      const sealed = await Promise.all(events.map((event) => encryptEvent(event, keyring.ids[keyOf.get(event.id) ?? 0])));
      try {
        await write(sealed);
        return;
      } catch (error) {
        if (!(error instanceof EventConflictError) || error.reason !== "id") throw error;
        firstConflict ??= error;
        const next = (keyOf.get(error.eventId) ?? 0) + 1;
        if (next >= keyring.ids.length || !events.some((event) => event.id === error.eventId)) throw firstConflict;
        keyOf.set(error.eventId, next);
      }
    }
  };

  // Agent state files, encrypted frame by frame, when the wrapped driver stores them.
  const agentState = hasAgentState(driver) ? encryptedAgentState(driver, keyring, readPlaintext) : undefined;

  const decorated: SessionPersistDriver & Record<string, unknown> = {
    async getSession(id: string): Promise<SessionRecord | undefined> {
      const record = await driver.getSession(id);
      return record === undefined ? undefined : decryptRecord(record);
    },
    async listSessions(request?: ListPageRequest): Promise<ListPage<SessionRecord>> {
      const page = await driver.listSessions(request);
      return { ...page, items: await Promise.all(page.items.map(decryptRecord)) };
    },
    async updateSession(session: SessionRecord): Promise<void> {
      await driver.updateSession(await encryptRecord(parseSessionRecord(session)));
    },
    async listEvents(request: ListEventsRequest): Promise<ListPage<SessionEvent>> {
      const page = await driver.listEvents(request);
      return { ...page, items: await decryptEvents(page.items) };
    },
    async insertEvent(sessionId: string, event: SessionEvent): Promise<void> {
      const valid = parseSessionEvent(sessionId, event);
      await insertSealed([valid], ([sealed]) => driver.insertEvent(sessionId, sealed!));
    },
  };

  const wrappers: Record<(typeof ENCRYPTED_DRIVER_METHODS)[number], (...args: never[]) => Promise<unknown>> = {
    insertSession: async (session: SessionRecord) => call("insertSession", await encryptRecord(parseSessionRecord(session))),
    insertEvents: async (sessionId: string, events: readonly SessionEvent[]) =>
      insertSealed(parseSessionEvents(sessionId, events), (sealed) => call("insertEvents", sessionId, sealed)),
    listLatestEvents: async (sessionId: string, limit: number) => decryptEvents(await call<SessionEvent[]>("listLatestEvents", sessionId, limit)),
    deleteSession: async (id: string) => {
      try {
        return await call("deleteSession", id);
      } finally {
        agentState?.forgetSession(id);
      }
    },
    close: async () => {
      agentState?.forgetAll();
      return call("close");
    },
    acquireLease: (sessionId: string, holder: string, ttlMs: number) => call("acquireLease", sessionId, holder, ttlMs),
    renewLease: (lease: LeaseLike, ttlMs: number) => call("renewLease", lease, ttlMs),
    releaseLease: (lease: LeaseLike) => call("releaseLease", lease),
    getLease: (sessionId: string) => call("getLease", sessionId),
    insertEventsFenced: async (lease: LeaseLike, events: readonly SessionEvent[]) =>
      insertSealed(parseSessionEvents(lease?.sessionId, events), (sealed) => call("insertEventsFenced", lease, sealed)),
    updateSessionFenced: async (lease: LeaseLike, session: SessionRecord) => call("updateSessionFenced", lease, await encryptRecord(parseSessionRecord(session))),
    deleteEventsBefore: async (sessionId: string, beforeIndex: number, marker?: SessionEvent) =>
      call("deleteEventsBefore", sessionId, beforeIndex, marker === undefined ? undefined : await encryptEvent(parseSessionEvent(sessionId, marker))),
  };
  for (const name of ENCRYPTED_DRIVER_METHODS) {
    if (typeof inner[name] === "function") decorated[name] = wrappers[name];
  }
  if (agentState !== undefined) {
    const { appendAgentState, readAgentState, listAgentState, deleteAgentState } = agentState;
    Object.assign(decorated, { appendAgentState, readAgentState, listAgentState, deleteAgentState });
  }
  return decorated as SessionPersistDriverWithCapabilities;
}
