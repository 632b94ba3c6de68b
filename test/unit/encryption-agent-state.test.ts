import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { DecryptionFailedError, encryptedPersistDriver, reencryptSessions, type EncryptionKey } from "../../src/encryption.js";
import { AgentStateOffsetError, hasAgentState, InMemorySessionPersistDriver, type AgentStateStorage, type SessionPersistDriver } from "../../src/index.js";

// Agent state files through the encryption decorator: stored as encrypted frames appended to
// the wrapped driver's file (append-only there too), plaintext offsets to the caller, and
// every way of changing, moving, cutting or reordering the stored bytes refused as
// DecryptionFailedError. The conformance suite (test/conformance/encrypted.test.ts) runs the
// whole agent state contract through the decorator; this file covers what encryption adds.

const dir = mkdtempSync(join(tmpdir(), "durable-agent-encrypted-agent-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const key = (id: string): EncryptionKey => ({ id, key: crypto.getRandomValues(new Uint8Array(32)) });
const text = new TextEncoder();
const SECRET = "sk-ant-PLAINTEXT-MARKER-4417";
const PATH = "file:/root/.claude/projects/-work/a1.jsonl";
const line = (i: number): Uint8Array => text.encode(`{"turn":${i},"text":"${SECRET} said at turn ${i}"}\n`);

type Files = SessionPersistDriver & AgentStateStorage & { close(): Promise<void> };
const withFiles = (driver: SessionPersistDriver): Files => {
  if (!hasAgentState(driver) || typeof (driver as { close?: unknown }).close !== "function") throw new Error("no agent state methods or no close");
  return driver as Files;
};

/** Every byte under the SQLite file's directory (database, WAL), as one string. */
function rawBytes(filename: string): string {
  const folder = join(filename, "..");
  return readdirSync(folder)
    .filter((name) => name.startsWith(filename.split("/").pop()!))
    .map((name) => readFileSync(join(folder, name)).toString("latin1"))
    .join("");
}

async function appendLines(driver: AgentStateStorage, sessionId: string, from: number, to: number): Promise<Uint8Array> {
  const written: Uint8Array[] = [];
  let size = (await driver.listAgentState(sessionId)).find((f) => f.path === PATH)?.size ?? 0;
  for (let i = from; i < to; i++) {
    const bytes = line(i);
    await driver.appendAgentState(sessionId, PATH, size, bytes);
    size += bytes.length;
    written.push(bytes);
  }
  return Buffer.concat(written);
}

describe("encryptedPersistDriver: agent state files", () => {
  it("stores them as ciphertext, append-only in the wrapped driver, read back whole with plaintext sizes", async () => {
    const filename = join(dir, `a-${++files}.db`);
    const k1 = key("k1");
    const plain = withFiles(new SQLiteSessionPersistDriver({ filename }));
    const sealed = withFiles(encryptedPersistDriver(plain, { keys: [k1] }));
    const written = await appendLines(sealed, "s1", 0, 20);

    expect(Buffer.from((await sealed.readAgentState("s1", PATH))!)).toEqual(written);
    expect((await sealed.listAgentState("s1")).map((f) => [f.path, f.size])).toEqual([[PATH, written.length]]);
    // In the wrapped driver: frames, 20 of them, each its line plus a fixed overhead; no plaintext.
    const stored = (await plain.readAgentState("s1", PATH))!;
    const overhead = (stored.length - written.length) / 20;
    expect(overhead).toBe(2 + "k1".length + 4 + 12 + 16);
    expect(Buffer.from(stored).includes(Buffer.from(SECRET))).toBe(false);
    // An append adds its own frame and leaves what was stored untouched.
    await sealed.appendAgentState("s1", PATH, written.length, line(20));
    const after = (await plain.readAgentState("s1", PATH))!;
    expect(Buffer.from(after.subarray(0, stored.length))).toEqual(Buffer.from(stored));
    expect(after.length).toBe(stored.length + line(20).length + overhead);
    await plain.close();
    expect(rawBytes(filename).includes(SECRET)).toBe(false);

    // Another process: nothing cached, the sizes are learnt from the store; without the key, nothing is read.
    const reopened = withFiles(encryptedPersistDriver(new SQLiteSessionPersistDriver({ filename }), { keys: [k1] }));
    expect((await reopened.listAgentState("s1"))[0]!.size).toBe(written.length + line(20).length);
    await reopened.appendAgentState("s1", PATH, written.length + line(20).length, line(21));
    expect(Buffer.from((await reopened.readAgentState("s1", PATH))!)).toEqual(Buffer.concat([written, line(20), line(21)]));
    await reopened.close();
    const stranger = withFiles(encryptedPersistDriver(new SQLiteSessionPersistDriver({ filename }), { keys: [key("k9")] }));
    await expect(stranger.readAgentState("s1", PATH)).rejects.toMatchObject({ reason: "unknown_key", keyId: "k1" });
    await stranger.close();
  });

  it("another writer's appends: a stale size is refused with the plaintext size stored now, and the retry lands", async () => {
    const inner = new InMemorySessionPersistDriver();
    const keys = [key("k1")];
    const a = withFiles(encryptedPersistDriver(inner, { keys }));
    const b = withFiles(encryptedPersistDriver(inner, { keys }));
    const first = await appendLines(a, "s1", 0, 3);
    const second = await appendLines(b, "s1", 3, 5);
    // `a` still remembers the size it wrote: its append at that size is refused with the true size.
    const refused = await a.appendAgentState("s1", PATH, first.length, line(9)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AgentStateOffsetError);
    expect((refused as AgentStateOffsetError).storedSize).toBe(first.length + second.length);
    await a.appendAgentState("s1", PATH, first.length + second.length, line(5));
    expect(Buffer.from((await b.readAgentState("s1", PATH))!)).toEqual(Buffer.concat([first, second, line(5)]));
    // Replaced by `b` with a shorter file: `a`'s listing and appends follow the store, not its memory.
    await b.appendAgentState("s1", PATH, 0, line(0));
    expect((await a.listAgentState("s1"))[0]!.size).toBe(line(0).length);
    await a.appendAgentState("s1", PATH, line(0).length, line(1));
    expect(Buffer.from((await b.readAgentState("s1", PATH))!)).toEqual(Buffer.concat([line(0), line(1)]));
  });

  describe("changed, moved, cut or reordered bytes are a DecryptionFailedError, never a partial read", () => {
    const keys = [key("k1")];
    async function stored(): Promise<{ plain: Files; sealed: Files; bytes: Uint8Array; frames: Uint8Array[] }> {
      const plain = withFiles(new InMemorySessionPersistDriver());
      const sealed = withFiles(encryptedPersistDriver(plain, { keys }));
      const frames: Uint8Array[] = [];
      let size = 0;
      for (let i = 0; i < 3; i++) {
        const before = (await plain.readAgentState("s1", PATH))?.length ?? 0;
        await sealed.appendAgentState("s1", PATH, size, line(i));
        size += line(i).length;
        frames.push((await plain.readAgentState("s1", PATH))!.slice(before));
      }
      return { plain, sealed, bytes: (await plain.readAgentState("s1", PATH))!, frames };
    }
    const fresh = (plain: SessionPersistDriver) => withFiles(encryptedPersistDriver(plain, { keys }));

    it("a changed ciphertext byte: tampered", async () => {
      const { plain, bytes } = await stored();
      const changed = bytes.slice();
      changed[changed.length - 5]! ^= 0x01;
      await plain.appendAgentState("s1", PATH, 0, changed);
      await expect(fresh(plain).readAgentState("s1", PATH)).rejects.toMatchObject({ name: "DecryptionFailedError", reason: "tampered" });
    });

    it("a frame dropped, or two swapped: tampered (each frame is bound to its plaintext offset)", async () => {
      const { plain, frames } = await stored();
      await plain.appendAgentState("s1", PATH, 0, Buffer.concat([frames[0]!, frames[2]!]));
      await expect(fresh(plain).readAgentState("s1", PATH)).rejects.toMatchObject({ reason: "tampered" });
      await plain.appendAgentState("s1", PATH, 0, Buffer.concat([frames[1]!, frames[0]!, frames[2]!]));
      await expect(fresh(plain).readAgentState("s1", PATH)).rejects.toMatchObject({ reason: "tampered" });
    });

    it("the file moved to another path or session: tampered", async () => {
      const { plain, bytes } = await stored();
      await plain.appendAgentState("s1", "file:/elsewhere.jsonl", 0, bytes);
      await plain.appendAgentState("s2", PATH, 0, bytes);
      await expect(fresh(plain).readAgentState("s1", "file:/elsewhere.jsonl")).rejects.toMatchObject({ reason: "tampered" });
      await expect(fresh(plain).readAgentState("s2", PATH)).rejects.toMatchObject({ reason: "tampered" });
    });

    it("cut short inside a frame: malformed, also when only listed", async () => {
      const { plain, bytes } = await stored();
      await plain.appendAgentState("s1", PATH, 0, bytes.subarray(0, bytes.length - 3));
      const error = await fresh(plain).readAgentState("s1", PATH).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DecryptionFailedError);
      expect(error).toMatchObject({ reason: "malformed" });
      expect((error as Error).message).toContain(`agent state file "${PATH}" of session "s1" (frame 2`);
      await expect(fresh(plain).listAgentState("s1")).rejects.toMatchObject({ reason: "malformed" });
    });
  });

  it("rotation: frames under the old key stay readable beside new ones; reencryptSessions moves the files to the new key", async () => {
    const k1 = key("k1");
    const k2 = key("k2");
    const inner = new InMemorySessionPersistDriver();
    const old = withFiles(encryptedPersistDriver(inner, { keys: [k1] }));
    await old.updateSession({ id: "s1", agent: "mock", agentSessionId: "a1", lastConnectionId: "c1", createdAt: 1 });
    const before = await appendLines(old, "s1", 0, 2);
    const rotated = withFiles(encryptedPersistDriver(inner, { keys: [k2, k1] }));
    const after = await appendLines(rotated, "s1", 2, 4);
    expect(Buffer.from((await rotated.readAgentState("s1", PATH))!)).toEqual(Buffer.concat([before, after]));
    await expect(withFiles(encryptedPersistDriver(inner, { keys: [k2] })).readAgentState("s1", PATH)).rejects.toMatchObject({ reason: "unknown_key", keyId: "k1" });

    const target = new InMemorySessionPersistDriver();
    expect(await reencryptSessions(rotated, encryptedPersistDriver(target, { keys: [k2] }))).toEqual({ sessions: 1, events: 0, agentStateFiles: 1 });
    const onlyNew = withFiles(encryptedPersistDriver(target, { keys: [k2] }));
    expect(Buffer.from((await onlyNew.readAgentState("s1", PATH))!)).toEqual(Buffer.concat([before, after]));
  });

  it("a file stored in clear before encryption: refused as plaintext, or with readPlaintext read and rewritten encrypted by the next append", async () => {
    const plain = withFiles(new InMemorySessionPersistDriver());
    const clear = Buffer.concat([line(0), line(1)]);
    await plain.appendAgentState("s1", PATH, 0, clear);
    const strict = withFiles(encryptedPersistDriver(plain, { keys: [key("k1")] }));
    await expect(strict.readAgentState("s1", PATH)).rejects.toMatchObject({ reason: "plaintext" });
    await expect(strict.listAgentState("s1")).rejects.toMatchObject({ reason: "plaintext" });

    const lenient = withFiles(encryptedPersistDriver(plain, { keys: [key("k1")], readPlaintext: true }));
    expect(Buffer.from((await lenient.readAgentState("s1", PATH))!)).toEqual(clear);
    expect((await lenient.listAgentState("s1"))[0]!.size).toBe(clear.length);
    await lenient.appendAgentState("s1", PATH, clear.length, line(2));
    expect(Buffer.from((await lenient.readAgentState("s1", PATH))!)).toEqual(Buffer.concat([clear, line(2)]));
    expect(Buffer.from((await plain.readAgentState("s1", PATH))!).includes(Buffer.from(SECRET))).toBe(false);
  });
});
