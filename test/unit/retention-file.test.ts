import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileSessionPersistDriver } from "../../drivers/file.js";
import { sessionName } from "../../drivers/file/names.js";
import { recordedTurns } from "../../src/conformance/turns.js";
import { applyRetention } from "../../src/lifecycle/retention.js";
import type { SessionEvent } from "../../src/persist/types.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "da-retention-file-"));
  dirs.push(dir);
  return dir;
}

async function seeded(directory: string): Promise<{ driver: FileSessionPersistDriver; events: SessionEvent[] }> {
  const driver = new FileSessionPersistDriver({ directory });
  await driver.updateSession({ id: "s", agent: "mock", agentSessionId: "a", lastConnectionId: "c", createdAt: 1 });
  const events = recordedTurns({ sessionId: "s", turns: 50 });
  await driver.insertEvents("s", events);
  return { driver, events };
}

const sessionDir = (directory: string) => join(directory, "sessions", sessionName("s"));

describe("file driver retention path", () => {
  it("a trim rewrites the session's log with the kept events only: the deleted ones are gone from disk", async () => {
    const directory = tempDir();
    const { driver, events } = await seeded(directory);
    const report = await applyRetention(driver, { maxEventsPerSession: 41, replay: { maxEvents: 2 } }, { now: 2 });
    expect(report.trimmedSessions[0]).toMatchObject({ removedEvents: 160, firstKeptIndex: 160 });
    const log = readFileSync(join(sessionDir(directory), "events.jsonl"), "utf8").trim().split("\n");
    expect(log).toHaveLength(41);
    // No deleted event's id is left in the log, and no temporary directory in the store.
    for (const event of events.slice(0, 160)) expect(log.some((line) => line.includes(`"id":${JSON.stringify(event.id)}`))).toBe(false);
    expect(readdirSync(join(directory, "sessions")).filter((name) => name.includes("."))).toEqual([]);
    expect(existsSync(join(directory, "trash")) ? readdirSync(join(directory, "trash")) : []).toEqual([]);
    // Another process (here a second driver) reads the trimmed history, then appends after it.
    const other = new FileSessionPersistDriver({ directory });
    expect((await other.listEvents({ sessionId: "s", limit: 1 })).items[0]!.eventIndex).toBe(159);
    await other.insertEvents("s", recordedTurns({ sessionId: "s", turns: 1, firstIndex: 200, idPrefix: "more-" }));
    expect((await driver.listLatestEvents("s", 1))[0]!.eventIndex).toBe(203);
    await other.close();
    await driver.close();
  });

  it("a crash between the two renames: the next process puts the trimmed session in place", async () => {
    const directory = tempDir();
    const { driver } = await seeded(directory);
    await driver.close();
    // The state a crash leaves after `sessions/<name>` went to the trash and before the
    // `.trim` directory was renamed into place.
    renameSync(sessionDir(directory), `${sessionDir(directory)}.trim`);
    const next = new FileSessionPersistDriver({ directory });
    expect((await next.listEvents({ sessionId: "s", limit: 1000 })).items).toHaveLength(200);
    expect(existsSync(`${sessionDir(directory)}.trim`)).toBe(false);
    await next.close();
  });

  it("a crash before the first rename: the half-built directory is dropped and the session is whole", async () => {
    const directory = tempDir();
    const { driver } = await seeded(directory);
    await driver.close();
    mkdirSync(`${sessionDir(directory)}.trim`);
    writeFileSync(join(`${sessionDir(directory)}.trim`, "events.jsonl"), "{torn");
    const next = new FileSessionPersistDriver({ directory });
    expect((await next.listEvents({ sessionId: "s", limit: 1000 })).items).toHaveLength(200);
    expect(existsSync(`${sessionDir(directory)}.trim`)).toBe(false);
    await next.close();
  });
});
