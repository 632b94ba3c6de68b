import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { assertCrashSurvived, writeThenKill } from "../support/crash-plan.js";

// A process killed mid-write (SIGKILL: no exit handlers, no close) must lose nothing it
// acknowledged, and leave no gap and no half-written row.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "durable-agent-sqlite-crash-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("SQLiteSessionPersistDriver: crash durability", () => {
  for (const acks of [300, 2000]) {
    it(`keeps every acknowledged event intact after SIGKILL (after ${acks} acks)`, async () => {
      const file = join(dir, "crash.db");
      const acknowledged = await writeThenKill("sqlite", file, acks);

      const db = new Database(file);
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      db.close();

      const driver = new SQLiteSessionPersistDriver({ filename: file });
      try {
        await assertCrashSurvived(driver, acknowledged, acks);
      } finally {
        await driver.close();
      }
    });
  }
});
