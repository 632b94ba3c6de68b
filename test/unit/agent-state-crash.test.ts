import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, it } from "vitest";
import { sessionName } from "../../drivers/file/names.js";
import type { AgentStateStorage } from "../../src/persist/agent-state.js";
import type { PersistDriver } from "../../src/persist/persist-driver.js";
import { lineOf, wholeLines } from "../support/agent-state-lines.js";

// A writer of agent state SIGKILLed mid-stream (appends and whole replaces, on an SQLite file
// and a file store) must lose nothing it acknowledged and leave nothing torn: the stored file
// is whole lines 0..k with k at least the last acknowledged one, and the next append goes on
// from there (the file store cuts a crashed append's tail first).

const WRITER = fileURLToPath(new URL("../support/agent-state-crash-writer.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SESSION = "crash";
const PATH = "claude-code/projects/-work/crash.jsonl";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "durable-agent-agent-state-crash-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Run the writer until it acknowledged more than `acks` lines, SIGKILL it; the acknowledged line numbers. */
function writeThenKill(kind: "sqlite" | "file", target: string, acks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, kind, target], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let killed = false;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (!killed && out.split("\n").length - 2 > acks) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      if (signal !== "SIGKILL") return reject(new Error(`writer exited on its own: ${err}`));
      const lines = out.slice(0, out.lastIndexOf("\n")).split("\n");
      if (lines[0] !== "ready") return reject(new Error(`writer did not start: ${err}`));
      resolve(lines.slice(1).map(Number));
    });
  });
}

async function open(kind: "sqlite" | "file", target: string): Promise<PersistDriver & AgentStateStorage> {
  if (kind === "sqlite") {
    return new (await import("../../drivers/sqlite.js")).SQLiteSessionPersistDriver({ filename: target }) as PersistDriver & AgentStateStorage;
  }
  return new (await import("../../drivers/file.js")).FileSessionPersistDriver({ directory: target, lockTimeoutMs: 2000 }) as PersistDriver & AgentStateStorage;
}

describe("agent state: a writer SIGKILLed mid-stream", () => {
  for (const kind of ["sqlite", "file"] as const) {
    it(`${kind}: keeps every acknowledged write, whole lines only, and goes on appending`, async () => {
      const target = join(dir, kind === "sqlite" ? "store.db" : "store");
      const acked = await writeThenKill(kind, target, 200);
      const last = acked.at(-1)!;
      assert.deepEqual(acked, Array.from({ length: acked.length }, (_, n) => n), "acknowledged in order");
      const driver = await open(kind, target);
      try {
        const text = new TextDecoder().decode(await driver.readAgentState(SESSION, PATH));
        assert.ok(wholeLines(text), "whole lines only");
        const lines = text.slice(0, -1).split("\n");
        assert.ok(lines.length >= last + 1, `every acknowledged line is stored (${lines.length} stored, ${last + 1} acknowledged)`);
        assert.ok(lines.length <= last + 2, "at most the one unacknowledged write in flight");
        lines.forEach((line, n) => assert.equal(`${line}\n`, lineOf("w", n), `line ${n}`));
        const [info] = await driver.listAgentState(SESSION);
        const size = new TextEncoder().encode(text).byteLength;
        assert.equal(info?.size, size, "the listed size is the stored size");
        // The next append goes on from the stored size, and a reader sees it whole.
        const next = new TextEncoder().encode(lineOf("w", lines.length));
        await driver.appendAgentState(SESSION, PATH, size, next);
        const after = new TextDecoder().decode(await driver.readAgentState(SESSION, PATH));
        assert.equal(after, text + lineOf("w", lines.length));
        if (kind === "file") {
          // A replace leaves one data file and its JSON file: what a crash left is removed with the old generation.
          await driver.appendAgentState(SESSION, PATH, 0, new TextEncoder().encode(after));
          const files = readdirSync(join(target, "agent-state", sessionName(SESSION)));
          assert.equal(files.length, 2, files.join(", "));
          assert.equal(files.filter((name) => name.endsWith(".bin")).length, 1, files.join(", "));
        }
      } finally {
        await driver.close();
      }
    }, 60_000);
  }
});
