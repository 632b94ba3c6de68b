import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import { FileSessionPersistDriver, FileSessionStore } from "../../drivers/file.js";
import { PostgresSessionPersistDriver, PostgresSessionStore } from "../../drivers/postgres.js";
import { RedisSessionPersistDriver, RedisSessionStore } from "../../drivers/redis.js";
import { SQLiteSessionPersistDriver, SQLiteSessionStore } from "../../drivers/sqlite.js";
import { encryptedPersistDriver, encryptedSessionStore } from "../../src/encryption.js";
import { redactingSessionStore, redactSecrets, SandboxAgent, type SessionEvent, type SessionPersistDriver } from "../../src/index.js";
import type { SessionStore } from "../../src/session-store/types.js";
import { allEvents, promptReport } from "../support/client.js";
import { adminPool, postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";
import { filesRaw, postgresRaw, redisRaw, sqliteRaw } from "../support/raw-storage.js";
import { adminClient, prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";
import { piecesIn, PLANTED, textWithSecrets } from "../support/secrets.js";

// Redaction and encryption on the real runtime, proven on each backend's raw storage: the
// SQLite file's bytes, PostgreSQL rows read with SQL, Redis keys read with DUMP and by type,
// the file store's files. (IndexedDB in Chromium: test/browser/protected-storage.test.ts.)

const dir = mkdtempSync(join(tmpdir(), "durable-agent-protected-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const schemas = schemasDroppedAfterAll();
const prefixes = prefixesRemovedAfterAll();
let n = 0;

/** A fresh store of one backend, with what reads its raw storage. */
interface Backend {
  driver: () => SessionPersistDriver;
  store: () => SessionStore & { close(): Promise<void> };
  raw: () => Promise<string>;
}

const BACKENDS: Record<string, () => Backend> = {
  sqlite: () => {
    const filename = join(dir, `s-${++n}.db`);
    return { driver: () => new SQLiteSessionPersistDriver({ filename }), store: () => new SQLiteSessionStore({ filename }), raw: async () => sqliteRaw(filename) };
  },
  postgres: () => {
    const schema = schemas("protect");
    return {
      driver: () => new PostgresSessionPersistDriver({ connectionString: postgresUrl(), schema }),
      store: () => new PostgresSessionStore({ connectionString: postgresUrl(), schema }),
      raw: async () => {
        const pool = adminPool();
        try {
          return await postgresRaw(pool, schema);
        } finally {
          await pool.end();
        }
      },
    };
  },
  redis: () => {
    const keyPrefix = prefixes("protect");
    return {
      driver: () => new RedisSessionPersistDriver({ url: redisUrl(), keyPrefix }),
      store: () => new RedisSessionStore({ url: redisUrl(), keyPrefix }),
      raw: async () => {
        const client = adminClient();
        try {
          return await redisRaw(client, keyPrefix);
        } finally {
          await client.quit();
        }
      },
    };
  },
  file: () => {
    const directory = join(dir, `f-${++n}`);
    return { driver: () => new FileSessionPersistDriver({ directory }), store: () => new FileSessionStore({ directory }), raw: async () => filesRaw(directory) };
  },
};

const textOf = (events: readonly SessionEvent[]): string => JSON.stringify(events.map((e) => e.payload));
/** The text the agent streamed in `events`, chunks joined. */
const streamed = (events: readonly SessionEvent[]): string =>
  events.map((e) => (e.payload as { params?: { update?: { sessionUpdate?: string; content?: { text?: string } } } }).params?.update).filter((u) => u?.sessionUpdate === "agent_message_chunk").map((u) => u!.content!.text).join("");

let runtime: RuntimeHandle;
beforeAll(async () => {
  runtime = await startRuntime();
  runtime.configureAgent({ loadSession: false });
});
afterAll(async () => {
  await runtime?.stop();
});

for (const [name, make] of Object.entries(BACKENDS)) {
  describe(`protected storage on ${name}`, () => {
    it("redactSecrets: no planted secret (whole or in pieces) from prompts, tool output or agent replies reaches the raw storage; listeners saw them all", async () => {
      const backend = make();
      const driver = backend.driver();
      const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: driver, redact: redactSecrets() });
      const seen: SessionEvent[] = [];
      try {
        const session = await sdk.createSession({ id: `redact-${name}`, agent: "mock" });
        session.onEvent((event) => seen.push(event));
        // The prompt carries the secrets; the scripted agent prints them as a tool's output
        // (/tool) and echoes them back in three chunks that cut through some of them.
        const { reply } = await promptReport(session, `/tool ${textWithSecrets()}`);
        expect(reply).toContain(PLANTED.anthropic);
        await promptReport(session, `and once more: ${PLANTED.github} ${PLANTED.jwt}`);
      } finally {
        await sdk.dispose();
      }
      const live = textOf(seen);
      for (const secret of Object.values(PLANTED)) expect(live + streamed(seen)).toContain(JSON.stringify(secret).slice(1, -1));
      const toolEvents = seen.filter((e) => JSON.stringify(e.payload).includes("tool_call_update"));
      expect(JSON.stringify(toolEvents)).toContain(PLANTED.awsSecret);

      const stored = await allEvents(driver, `redact-${name}`);
      const storedIds = new Set(stored.map((e) => e.id));
      expect(seen.every((e) => storedIds.has(e.id))).toBe(true);
      const storedText = textOf(stored);
      expect(storedText).toContain("[REDACTED:anthropic_key]");
      expect(storedText).toContain("[REDACTED:private_key]");
      expect(streamed(stored)).toContain("echo: /tool anthropic [REDACTED:anthropic_key]");
      expect(JSON.stringify(stored.filter((e) => JSON.stringify(e.payload).includes("tool_call_update")))).toContain("[REDACTED:aws_secret_key]");
      await (driver as { close?: () => Promise<void> }).close?.();
      const raw = await backend.raw();
      expect(raw).toContain("REDACTED:github_token");
      expect(piecesIn(raw)).toEqual([]);
    });

    it("encryptedPersistDriver: the raw storage holds no plaintext of the prompt or the reply; a new client restores the session from the decrypted history", async () => {
      const backend = make();
      const keys = [{ id: "app-2026", key: crypto.getRandomValues(new Uint8Array(32)) }];
      const marker = `PLAINTEXT-MARKER-${crypto.randomUUID()}`;
      const driver = encryptedPersistDriver(backend.driver(), { keys });
      const first = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: driver });
      const session = await first.createSession({ id: `enc-${name}`, agent: "mock", sessionInit: { cwd: `/work/${marker}`, mcpServers: [] } });
      await promptReport(session, `remember ${marker}`);
      await first.dispose();
      await driver.close?.();
      const raw = await backend.raw();
      expect(raw).not.toContain(marker);
      expect(raw).not.toContain(marker.slice(-12));
      expect(raw).toContain('"_enc"'.slice(1, -1));

      // Round trip: another client on the same store and keys restores it by replay.
      const again = encryptedPersistDriver(backend.driver(), { keys });
      const second = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist: again });
      try {
        const resumed = await second.resumeSession(`enc-${name}`);
        const { report } = await promptReport(resumed, "what did I ask you to remember?");
        expect(report.replay).toBe(true);
        const history = await allEvents(again, `enc-${name}`);
        expect(textOf(history)).toContain(`remember ${marker}`);
        expect((await again.getSession(`enc-${name}`))?.sessionInit?.cwd).toBe(`/work/${marker}`);
      } finally {
        await second.dispose();
        await again.close?.();
      }
    });

    it("the session store decorators: redacted entries and encrypted entries never reach the raw storage in clear", async () => {
      const backend = make();
      const inner = backend.store();
      const key = { projectKey: "proj", sessionId: `s-${name}` };
      const entry = (uuid: string, text: string) => ({ type: "user", uuid, timestamp: new Date().toISOString(), message: { role: "user", content: [{ type: "text", text }] } });
      const redacting = redactingSessionStore(inner, (e) => redactSecrets()(e));
      await redacting.append(key, [entry(crypto.randomUUID(), textWithSecrets())]);
      const marker = `PLAINTEXT-MARKER-${crypto.randomUUID()}`;
      const keys = [{ id: "store-1", key: crypto.getRandomValues(new Uint8Array(32)) }];
      const encrypted = encryptedSessionStore(inner, { keys });
      const sealedKey = { ...key, sessionId: `sealed-${name}` };
      const sealed = [entry(crypto.randomUUID(), marker), { type: "custom-title", customTitle: marker }];
      await encrypted.append(sealedKey, sealed);
      expect(await encrypted.load(sealedKey)).toEqual(sealed);
      expect(JSON.stringify(await redacting.load(key))).toContain("[REDACTED:slack_token]");
      await inner.close();
      const raw = await backend.raw();
      expect(piecesIn(raw)).toEqual([]);
      expect(raw).not.toContain(marker);
    });
  });
}
