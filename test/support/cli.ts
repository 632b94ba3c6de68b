// Running the durable-agent CLI as a user does (a spawned process, from source through tsx)
// against real stores, and seeding those stores with realistic recorded sessions.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll } from "vitest";
import { FileSessionPersistDriver } from "../../drivers/file.js";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { RedisSessionPersistDriver } from "../../drivers/redis.js";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import type { PersistDriver } from "../../src/persist/persist-driver.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import { AcpHistory } from "./acp-history.js";
import { postgresUrl, schemasDroppedAfterAll } from "./postgres.js";
import { prefixesRemovedAfterAll, redisUrl } from "./redis.js";

const ROOT = resolve(import.meta.dirname, "../..");

/** What a CLI run left. */
export interface CliResult {
  /** Exit code (`null` when killed by a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `durable-agent <args>` from source to the end. */
export function runCli(args: readonly string[], options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = startCli(args, options.env);
  if (options.input !== undefined) child.stdin.end(options.input);
  else child.stdin.end();
  return finished(child, options.timeoutMs ?? 60_000);
}

/** Start `durable-agent <args>` from source; the caller ends it (see {@link finished}). */
export function startCli(args: readonly string[], env?: NodeJS.ProcessEnv, entry = "cli/main.ts"): ChildProcessWithoutNullStreams {
  const nodeArgs = entry.endsWith(".ts") ? ["--import", "tsx", entry, ...args] : [entry, ...args];
  const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, env: { ...process.env, ...env } });
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  const out = child as ChildProcessWithoutNullStreams & { collected: { stdout: string; stderr: string } };
  out.collected = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: string) => (out.collected.stdout += chunk));
  child.stderr.on("data", (chunk: string) => (out.collected.stderr += chunk));
  return child;
}

/** What a started CLI printed so far. */
export function printed(child: ChildProcessWithoutNullStreams): { stdout: string; stderr: string } {
  return (child as unknown as { collected: { stdout: string; stderr: string } }).collected;
}

/** Wait for a started CLI to exit (killed after `timeoutMs`, failing the wait). */
export function finished(child: ChildProcessWithoutNullStreams, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`CLI did not exit within ${timeoutMs} ms; stderr: ${printed(child).stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, ...printed(child) });
    });
  });
}

/** The store kinds the CLI opens. */
export type CliStoreKind = "sqlite" | "postgres" | "redis" | "file";

/** Every store kind, for `describe.each`. */
export const CLI_STORE_KINDS: readonly CliStoreKind[] = ["sqlite", "postgres", "redis", "file"];

/** A fresh, empty store: its CLI URL and a driver on it (for seeding and inspection). */
export interface TestStore {
  kind: CliStoreKind;
  url: string;
  /** A new driver on the store; the caller closes it. */
  open(options?: { notify?: boolean }): PersistDriver;
  /** Where the data is: the file, directory, schema or key prefix. */
  where: string;
}

/**
 * A maker of fresh stores for one test file (temporary files and directories, PostgreSQL
 * schemas and Redis prefixes, all removed when the file is done). Call at the top level.
 */
export function testStores(): (kind: CliStoreKind, label?: string) => TestStore {
  const freshSchema = schemasDroppedAfterAll();
  const freshPrefix = prefixesRemovedAfterAll();
  const dir = mkdtempSync(join(tmpdir(), "durable-agent-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (kind, label = "cli") => {
    const name = `${label}-${randomBytes(4).toString("hex")}`;
    switch (kind) {
      case "sqlite": {
        const filename = join(dir, `${name}.db`);
        return { kind, url: `sqlite:${filename}`, where: filename, open: () => new SQLiteSessionPersistDriver({ filename }) };
      }
      case "file": {
        const directory = join(dir, name);
        return { kind, url: `file:${directory}?fsync=never`, where: directory, open: () => new FileSessionPersistDriver({ directory, fsync: "never" }) };
      }
      case "postgres": {
        const schema = freshSchema(label.replace(/\W/g, "_").toLowerCase());
        const base = postgresUrl();
        const url = `${base}${base.includes("?") ? "&" : "?"}schema=${schema}`;
        return {
          kind,
          url,
          where: schema,
          open: (options) => new PostgresSessionPersistDriver({ connectionString: base, schema, notify: options?.notify === true }),
        };
      }
      case "redis": {
        const keyPrefix = freshPrefix(label);
        const url = `${redisUrl()}?prefix=${encodeURIComponent(keyPrefix)}`;
        return { kind, url, where: keyPrefix, open: () => new RedisSessionPersistDriver({ url: redisUrl(), keyPrefix }) };
      }
    }
  };
}

/** A realistic recorded session: bind, turns with streamed replies, tools, a permission, thoughts, unicode, a cancel. */
export function recordedSession(id: string, createdAt: number, turns = 3): { record: SessionRecord; events: SessionEvent[] } {
  const h = new AcpHistory(0, id);
  h.agentSessionId = `agent-${id}`;
  h.bind();
  for (let t = 0; t < turns; t++) {
    const prompt = h.prompt(`Turn ${t}: fix the bug in src/app-${t}.ts — naïve café ✓ 🚀 "quotes" \\ back\nslash`);
    h.thought(`thinking about turn ${t}`);
    h.toolCall(`tool-${t}`, `Read src/app-${t}.ts`, "read");
    const ask = h.askPermission(`tool-${t}`);
    h.answerPermission(ask, t % 2 === 0 ? "allow" : "reject");
    h.toolUpdate(`tool-${t}`, { status: "completed", output: `line 1\nline 2 of file ${t} 日本語` });
    h.chunk(`Done with turn ${t}. `);
    h.chunk("The fix: use `===`.");
    h.end(prompt, t === turns - 1 && turns > 2 ? "cancelled" : "end_turn");
  }
  const events = h.events.map((event, i) => ({ ...event, createdAt: createdAt + i * 7.5, connectionId: `conn-${id}` }));
  const record: SessionRecord = {
    id,
    agent: "mock",
    agentSessionId: h.agentSessionId,
    lastConnectionId: `conn-${id}`,
    createdAt,
    sandboxId: "sandbox-1",
    sessionInit: { cwd: "/work/app", mcpServers: [{ name: "fs", command: "mcp-fs", args: ["--root", "/"], env: [] }] },
    configOptions: [{ id: "model", name: "Model", type: "select", currentValue: "fast", options: [{ value: "fast", name: "Fast" }] }] as unknown as SessionRecord["configOptions"],
    modes: { currentModeId: "code", availableModes: [{ id: "code", name: "Code" }, { id: "architect", name: "Architect" }] },
  };
  return { record, events };
}

/** Seed `count` recorded sessions (ids `<prefix>-0`...), the second one destroyed; returns them. */
export async function seedStore(driver: PersistDriver, count = 3, prefix = "ticket"): Promise<{ record: SessionRecord; events: SessionEvent[] }[]> {
  const sessions = [];
  for (let i = 0; i < count; i++) {
    const session = recordedSession(`${prefix}-${i}`, 1_700_000_000_000 + i * 60_000, 2 + (i % 3));
    if (i === 1) session.record.destroyedAt = session.record.createdAt + 3_600_000;
    await driver.updateSession(session.record);
    await driver.insertEvents(session.record.id, session.events);
    sessions.push(session);
  }
  return sessions;
}

/** Parse the JSON document a `--json` run printed on stdout. */
export function jsonOf<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}): ${result.stdout}\nstderr: ${result.stderr}`);
  }
}
