import Database from "better-sqlite3";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SQLiteSessionPersistDriver, SQLiteSessionStore } from "../../drivers/sqlite.js";
import {
  DecryptionFailedError,
  EncryptionKeyError,
  encryptedPersistDriver,
  encryptedSessionStore,
  ENCRYPTED_FORMAT,
  reencryptSessions,
  type EncryptionKey,
} from "../../src/encryption.js";
import { EventConflictError, InMemorySessionPersistDriver, PersistValidationError, type SessionEvent, type SessionRecord } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "durable-agent-encryption-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const key = (id: string): EncryptionKey => ({ id, key: crypto.getRandomValues(new Uint8Array(32)) });
const SECRET = "the launch code is PLAINTEXT-MARKER-7731";

function event(i: number, text = `${SECRET} #${i}`): SessionEvent {
  return {
    id: `e-${i}`,
    eventIndex: i,
    sessionId: "s1",
    createdAt: 1_700_000_000_000 + i,
    connectionId: "c1",
    sender: i % 2 === 0 ? "client" : "agent",
    payload: { jsonrpc: "2.0", method: "session/update", params: { sessionId: "a1", update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text } } } },
  };
}

const record: SessionRecord = {
  id: "s1",
  agent: "mock",
  agentSessionId: "a1",
  lastConnectionId: "c1",
  createdAt: 1_700_000_000_000,
  sessionInit: { cwd: "/home/PLAINTEXT-MARKER-cwd", mcpServers: [{ name: "db", command: "x", args: [], env: [{ name: "TOKEN", value: "PLAINTEXT-MARKER-env" }] }] },
  configOptions: [{ id: "model", name: "Model", type: "select", currentValue: "PLAINTEXT-MARKER-model", options: [] } as never],
  modes: { currentModeId: "PLAINTEXT-MARKER-mode", availableModes: [] },
};

/** A SQLite file with its plain driver, for reading and changing the raw rows. */
function sqliteFile() {
  const filename = join(dir, `e-${++files}.db`);
  const plain = new SQLiteSessionPersistDriver({ filename });
  const raw = () => new Database(filename);
  const table = (suffix: string) => {
    const db = raw();
    try {
      return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?").all(`%${suffix}`) as { name: string }[]).map((r) => r.name).find((n) => n.endsWith(suffix))!;
    } finally {
      db.close();
    }
  };
  return { filename, plain, raw, table };
}

describe("encryptedPersistDriver", () => {
  it("stores payloads and record fields as ciphertext: the raw file holds no plaintext, reads give the originals back", async () => {
    const f = sqliteFile();
    const driver = encryptedPersistDriver(f.plain, { keys: [key("k1")] });
    await driver.updateSession(record);
    await driver.insertEvents!("s1", [event(0), event(1)]);
    await driver.insertEvent("s1", event(2));
    expect(await driver.getSession("s1")).toEqual(record);
    expect((await driver.listEvents({ sessionId: "s1" })).items).toEqual([event(0), event(1), event(2)]);
    expect(await driver.listLatestEvents!("s1", 2)).toEqual([event(1), event(2)]);
    expect((await driver.listSessions()).items).toEqual([record]);
    await driver.close!();
    const bytes = readFileSync(f.filename).toString("latin1") + readFileSync(`${f.filename}-wal`, { flag: "a+" }).toString("latin1");
    expect(bytes).not.toContain("PLAINTEXT-MARKER");
    const db = f.raw();
    const row = db.prepare(`SELECT payload, event_index FROM "${f.table("events")}" WHERE id = 'e-1'`).get() as { payload: string; event_index: number };
    db.close();
    expect(JSON.parse(row.payload)).toMatchObject({ _enc: ENCRYPTED_FORMAT, kid: "k1" });
    expect(row.event_index).toBe(1);
  });

  it("a record without the sealed fields (or modes null) round-trips, and null stays null in clear", async () => {
    const inner = new InMemorySessionPersistDriver();
    const driver = encryptedPersistDriver(inner, { keys: [key("k1")] });
    const bare: SessionRecord = { id: "s2", agent: "mock", agentSessionId: "", lastConnectionId: "", createdAt: 1, modes: null };
    await driver.updateSession(bare);
    expect(await driver.getSession("s2")).toEqual(bare);
    expect(await inner.getSession("s2")).toEqual(bare);
  });

  it("re-inserting an identical event is a no-op; a different event under the same id is a conflict", async () => {
    const inner = new InMemorySessionPersistDriver();
    const driver = encryptedPersistDriver(inner, { keys: [key("k1")] });
    await driver.insertEvent("s1", event(0));
    await driver.insertEvent("s1", event(0));
    await driver.insertEvents!("s1", [event(0), event(1)]);
    await expect(driver.insertEvent("s1", event(0, "something else"))).rejects.toBeInstanceOf(EventConflictError);
    expect((await driver.listEvents({ sessionId: "s1" })).items).toEqual([event(0), event(1)]);
  });

  it("validates before encrypting: bad input is a PersistValidationError and nothing is written", async () => {
    const inner = new InMemorySessionPersistDriver();
    const driver = encryptedPersistDriver(inner, { keys: [key("k1")] });
    await expect(driver.insertEvent("s1", { ...event(0), eventIndex: -1 })).rejects.toBeInstanceOf(PersistValidationError);
    await expect(driver.insertEvent("s1", { ...event(0), payload: { jsonrpc: "2.0", method: "x", params: { t: "\ud800" } } as never })).rejects.toBeInstanceOf(PersistValidationError);
    await expect(driver.updateSession({ ...record, createdAt: -5 })).rejects.toBeInstanceOf(PersistValidationError);
    expect((await inner.listEvents({ sessionId: "s1" })).items).toEqual([]);
    expect(await inner.getSession("s1")).toBeUndefined();
  });

  it("rotation: old events stay readable under [new, old], new ones are written under the new key, re-inserting an old event stays a no-op", async () => {
    const inner = new InMemorySessionPersistDriver();
    const k1 = key("k1");
    const k2 = key("k2");
    const before = encryptedPersistDriver(inner, { keys: [k1] });
    await before.updateSession(record);
    await before.insertEvents!("s1", [event(0), event(1)]);
    const after = encryptedPersistDriver(inner, { keys: [k2, k1] });
    await after.insertEvents!("s1", [event(1), event(2)]);
    await after.insertEvent("s1", event(0));
    await after.insertEvent("s1", event(2));
    await expect(after.insertEvent("s1", event(0, "changed"))).rejects.toBeInstanceOf(EventConflictError);
    expect((await after.listEvents({ sessionId: "s1" })).items).toEqual([event(0), event(1), event(2)]);
    expect(await after.getSession("s1")).toEqual(record);
    const kids = (await inner.listEvents({ sessionId: "s1" })).items.map((e) => (e.payload as unknown as { kid: string }).kid);
    expect(kids).toEqual(["k1", "k1", "k2"]);
    // Without the old key, its events are refused by name, never skipped.
    const onlyNew = encryptedPersistDriver(inner, { keys: [k2] });
    const error = await onlyNew.listEvents({ sessionId: "s1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecryptionFailedError);
    expect(error).toMatchObject({ code: "encryption.decryption_failed", reason: "unknown_key", keyId: "k1" });
  });

  describe("tampering is a DecryptionFailedError, never a skip", () => {
    async function stored() {
      const f = sqliteFile();
      const driver = encryptedPersistDriver(f.plain, { keys: [key("k1")] });
      await driver.updateSession(record);
      await driver.insertEvents!("s1", [event(0), event(1)]);
      const edit = (sql: string, ...args: unknown[]) => {
        const db = f.raw();
        try {
          db.prepare(sql.replaceAll("EVENTS", `"${f.table("events")}"`).replaceAll("SESSIONS", `"${f.table("sessions")}"`)).run(...args);
        } finally {
          db.close();
        }
      };
      const payloadOf = (id: string) => {
        const db = f.raw();
        try {
          return JSON.parse((db.prepare(`SELECT payload FROM "${f.table("events")}" WHERE id = ?`).get(id) as { payload: string }).payload) as Record<string, string>;
        } finally {
          db.close();
        }
      };
      return { driver, edit, payloadOf, f };
    }

    it("a changed ciphertext byte", async () => {
      const { driver, edit, payloadOf } = await stored();
      const p = payloadOf("e-1");
      const ct = p.ct!;
      p.ct = ct.slice(0, 5) + (ct[5] === "A" ? "B" : "A") + ct.slice(6);
      edit("UPDATE EVENTS SET payload = ? WHERE id = 'e-1'", JSON.stringify(p));
      await expect(driver.listEvents({ sessionId: "s1" })).rejects.toMatchObject({ name: "DecryptionFailedError", reason: "tampered" });
    });

    it("a ciphertext moved to another event, and an event's index, time or sender changed", async () => {
      const { driver, edit, payloadOf } = await stored();
      edit("UPDATE EVENTS SET payload = ? WHERE id = 'e-1'", JSON.stringify(payloadOf("e-0")));
      await expect(driver.listEvents({ sessionId: "s1" })).rejects.toMatchObject({ reason: "tampered" });
      const other = await stored();
      other.edit("UPDATE EVENTS SET created_at = created_at + 1 WHERE id = 'e-0'");
      await expect(other.driver.listLatestEvents!("s1", 5)).rejects.toMatchObject({ reason: "tampered" });
      const third = await stored();
      third.edit("UPDATE EVENTS SET sender = 'client' WHERE id = 'e-1'");
      await expect(third.driver.listEvents({ sessionId: "s1" })).rejects.toMatchObject({ reason: "tampered" });
    });

    it("an unknown key id, a malformed value, a payload in clear, a record field moved to another record", async () => {
      const { driver, edit, payloadOf, f } = await stored();
      edit("UPDATE EVENTS SET payload = ? WHERE id = 'e-1'", JSON.stringify({ ...payloadOf("e-1"), kid: "nope" }));
      await expect(driver.listEvents({ sessionId: "s1" })).rejects.toMatchObject({ reason: "unknown_key", keyId: "nope" });
      edit("UPDATE EVENTS SET payload = ? WHERE id = 'e-1'", JSON.stringify({ ...payloadOf("e-0"), iv: "!!" }));
      await expect(driver.listEvents({ sessionId: "s1" })).rejects.toMatchObject({ reason: "malformed" });
      edit("UPDATE EVENTS SET payload = ? WHERE id = 'e-1'", JSON.stringify(event(1).payload));
      await expect(driver.listEvents({ sessionId: "s1" })).rejects.toMatchObject({ reason: "plaintext" });
      // readPlaintext: data stored before encryption was turned on is read as it is.
      const adopting = encryptedPersistDriver(f.plain, { keys: [key("k9")], readPlaintext: true });
      const old = { ...event(0), id: "e-clear", sessionId: "s3" };
      await f.plain.insertEvent("s3", old);
      expect((await adopting.listEvents({ sessionId: "s3" })).items).toEqual([old]);
      // A sealed sessionInit copied onto another record does not open there.
      await driver.updateSession({ ...record, id: "s2" });
      edit("UPDATE SESSIONS SET session_init = (SELECT session_init FROM SESSIONS WHERE id = 's1') WHERE id = 's2'");
      await expect(driver.getSession("s2")).rejects.toMatchObject({ reason: "tampered", where: 'session "s2".sessionInit' });
      await expect(driver.getSession("s1")).resolves.toEqual(record);
    });
  });

  it("refuses unusable keys with EncryptionKeyError; takes raw bytes, an HKDF CryptoKey (non-extractable) or an extractable AES-GCM key", async () => {
    const inner = new InMemorySessionPersistDriver();
    expect(() => encryptedPersistDriver(inner, { keys: [] })).toThrow(EncryptionKeyError);
    expect(() => encryptedPersistDriver(inner, undefined as never)).toThrow(EncryptionKeyError);
    expect(() => encryptedSessionStore(new SQLiteSessionStore({ filename: ":memory:" }), { key: "x" } as never)).toThrow(/keys must be a non-empty array/);
    expect(() => encryptedPersistDriver(inner, { keys: [key("a"), key("a")] })).toThrow(/used twice/);
    expect(() => encryptedPersistDriver(inner, { keys: [{ id: "a", key: new Uint8Array(16) }] })).toThrow(/32 bytes/);
    expect(() => encryptedPersistDriver(inner, { keys: [{ id: "a b", key: new Uint8Array(32) }] })).toThrow(/id must be/);
    const locked = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
    expect(() => encryptedPersistDriver(inner, { keys: [{ id: "a", key: locked }] })).toThrow(/non-extractable/);
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const hkdf = await crypto.subtle.importKey("raw", bytes, "HKDF", false, ["deriveKey"]);
    const aes = await crypto.subtle.importKey("raw", bytes, { name: "AES-GCM" }, true, ["encrypt", "decrypt"]);
    await encryptedPersistDriver(inner, { keys: [{ id: "h", key: hkdf }] }).insertEvent("s1", event(0));
    // The same root secret in three forms is one key.
    for (const form of [bytes, bytes.buffer, aes]) {
      expect((await encryptedPersistDriver(inner, { keys: [{ id: "h", key: form }] }).listEvents({ sessionId: "s1" })).items).toEqual([event(0)]);
    }
  });

  it("passes on the optional methods the wrapped driver has, and no method that would move data around the encryption", () => {
    const base = {
      getSession: async () => undefined,
      listSessions: async () => ({ items: [] }),
      updateSession: async () => undefined,
      listEvents: async () => ({ items: [] }),
      insertEvent: async () => undefined,
    };
    const bare = encryptedPersistDriver(base, { keys: [key("k")] });
    expect(Object.keys(bare).sort()).toEqual(Object.keys(base).sort());
    const rich = encryptedPersistDriver(
      { ...base, insertEvents: async () => undefined, getLease: async () => undefined, appendAgentState: async () => undefined, readAgentState: async () => undefined } as never,
      { keys: [key("k")] },
    );
    expect(Object.keys(rich)).toContain("insertEvents");
    expect(Object.keys(rich)).toContain("getLease");
    // Two of the four agent state methods: not a driver that stores agent state, none passed on.
    expect(Object.keys(rich)).not.toContain("appendAgentState");
    expect(Object.keys(rich)).not.toContain("readAgentState");
    const withFiles = encryptedPersistDriver(new InMemorySessionPersistDriver(), { keys: [key("k")] });
    expect(Object.keys(withFiles)).toEqual(expect.arrayContaining(["appendAgentState", "readAgentState", "listAgentState", "deleteAgentState"]));
  });
});

describe("reencryptSessions", () => {
  it("copies every session under the new key only; the copy reads without the old key; running it again is a no-op", async () => {
    const k1 = key("k1");
    const k2 = key("k2");
    const oldStore = new InMemorySessionPersistDriver({ maxEventsPerSession: 10_000 });
    const writer = encryptedPersistDriver(oldStore, { keys: [k1] });
    for (const id of ["s1", "s2", "s3"]) {
      await writer.updateSession({ ...record, id });
      await writer.insertEvents!(id, Array.from({ length: id === "s2" ? 1500 : 3 }, (_, i) => ({ ...event(i), id: `${id}-${i}`, sessionId: id })));
    }
    const f = sqliteFile();
    const source = encryptedPersistDriver(oldStore, { keys: [k2, k1] });
    const target = encryptedPersistDriver(f.plain, { keys: [k2] });
    const progress: number[] = [];
    expect(await reencryptSessions(source, target, { onProgress: (d) => progress.push(d.sessions) })).toEqual({ sessions: 3, events: 1506, agentStateFiles: 0 });
    expect(progress).toEqual([1, 2, 3]);
    expect(await reencryptSessions(source, target)).toEqual({ sessions: 3, events: 1506, agentStateFiles: 0 });
    for (const id of ["s1", "s2", "s3"]) {
      expect(await target.getSession(id)).toEqual({ ...record, id });
      const copied = await target.listLatestEvents!(id, 2000);
      const original = await source.listLatestEvents!(id, 2000);
      expect(copied).toEqual(original);
    }
    const db = f.raw();
    const kids = (db.prepare(`SELECT DISTINCT json_extract(payload, '$.kid') AS kid FROM "${f.table("events")}"`).all() as { kid: string }[]).map((r) => r.kid);
    db.close();
    expect(kids).toEqual(["k2"]);
  });
});

describe("encryptedSessionStore", () => {
  const entries = [
    { type: "user", uuid: "11111111-1111-4111-8111-111111111111", timestamp: "2026-11-30T10:00:00.000Z", message: { role: "user", content: SECRET } },
    { type: "custom-title", customTitle: "PLAINTEXT-MARKER-title" },
  ];
  const skey = { projectKey: "p", sessionId: "s" };

  it("stores entries sealed (type and uuid in clear), loads them back, and a moved or changed entry fails", async () => {
    const filename = join(dir, `store-${++files}.db`);
    const sqlite = new SQLiteSessionStore({ filename });
    const store = encryptedSessionStore(sqlite, { keys: [key("s1")] });
    await store.append(skey, entries);
    expect(await store.load(skey)).toEqual(entries);
    expect(typeof store.listSessionSummaries).toBe("undefined");
    const raw = await sqlite.load(skey);
    expect(JSON.stringify(raw)).not.toContain("PLAINTEXT-MARKER");
    expect(raw![0]).toMatchObject({ type: "user", uuid: entries[0]!.uuid });
    // The same sealed entries appended under another session do not open there.
    await sqlite.append({ projectKey: "p", sessionId: "other" }, raw!);
    await expect(store.load({ projectKey: "p", sessionId: "other" })).rejects.toMatchObject({ name: "DecryptionFailedError", reason: "tampered" });
    await sqlite.append({ projectKey: "p", sessionId: "clear" }, entries);
    await expect(store.load({ projectKey: "p", sessionId: "clear" })).rejects.toMatchObject({ reason: "plaintext" });
    await sqlite.close();
  });

  it("a batch appended by several writers at once is stored once; appends not awaited keep call order", async () => {
    const store = encryptedSessionStore(new SQLiteSessionStore({ filename: ":memory:" }), { keys: [key("s1")] });
    const batch = Array.from({ length: 20 }, (_, i) => ({ type: "user", uuid: crypto.randomUUID(), n: i }));
    await Promise.all([store.append(skey, batch), store.append(skey, batch), store.append(skey, batch)]);
    expect(await store.load(skey)).toEqual(batch);
    const later = Array.from({ length: 30 }, (_, i) => ({ type: "marker", n: i }));
    await Promise.all(later.map((entry) => store.append(skey, [entry])));
    expect((await store.load(skey))!.slice(20)).toEqual(later);
  });
});
