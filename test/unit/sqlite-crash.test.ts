import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import type { SessionEvent } from "../../src/persist/types.js";
import { CRASH_SESSION_ID, crashEvent, crashPlan } from "../support/sqlite-crash-plan.js";

// A process killed mid-write (SIGKILL: no exit handlers, no close) must lose nothing it
// acknowledged, and leave no gap and no half-written row.

const WRITER = join(process.cwd(), "test/support/sqlite-crash-writer.ts");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "durable-agent-sqlite-crash-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Run the writer on `file`, SIGKILL it after `acks` acknowledgements; resolve with every acknowledged index. */
function writeThenKill(file: string, acks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let acked = 0;
    let killed = false;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (!killed) {
        acked += chunk.split("\n").length - 1; // the first line is "ready"
        if (acked > acks) {
          killed = true;
          child.kill("SIGKILL");
        }
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (signal !== "SIGKILL") {
        reject(new Error(`writer exited on its own (code ${code}): ${err}`));
        return;
      }
      // Only complete lines are acknowledgements.
      const lines = out.slice(0, out.lastIndexOf("\n")).split("\n");
      if (lines[0] !== "ready") {
        reject(new Error(`writer did not start: ${err}`));
        return;
      }
      resolve(lines.slice(1).map(Number));
    });
  });
}

async function readAll(file: string): Promise<SessionEvent[]> {
  const driver = new SQLiteSessionPersistDriver({ filename: file });
  try {
    const all: SessionEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await driver.listEvents({ sessionId: CRASH_SESSION_ID, cursor, limit: 1000 });
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  } finally {
    await driver.close();
  }
}

/** Indexes at which a write group of the plan ends: a batch is all or nothing. */
function groupEnds(upTo: number): Set<number> {
  const ends = new Set<number>([0]);
  for (const group of crashPlan()) {
    const end = (group[group.length - 1] as number) + 1;
    ends.add(end);
    if (end > upTo) break;
  }
  return ends;
}

describe("SQLiteSessionPersistDriver: crash durability", () => {
  for (const acks of [300, 2000]) {
    it(`keeps every acknowledged event intact after SIGKILL (after ${acks} acks)`, async () => {
      const file = join(dir, "crash.db");
      const acknowledged = await writeThenKill(file, acks);
      expect(acknowledged.length).toBeGreaterThanOrEqual(acks);
      // The writer acknowledges in plan order: 0, 1, 2, ...
      expect(acknowledged).toEqual(acknowledged.map((_, i) => i));

      const db = new Database(file);
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      db.close();

      const stored = await readAll(file);
      // No gap: the stored events are exactly 0..n-1, and n covers every acknowledgement.
      expect(stored.map((e) => e.eventIndex)).toEqual(stored.map((_, i) => i));
      expect(stored.length).toBeGreaterThanOrEqual(acknowledged.length);
      // Intact: each row, acknowledged or not, is exactly the event that was written.
      for (const event of stored) expect(event).toEqual(crashEvent(event.eventIndex));
      // Atomic batches: the stored prefix ends on a write-group boundary.
      expect(groupEnds(stored.length).has(stored.length)).toBe(true);
    });
  }
});
