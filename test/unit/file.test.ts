import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FILE_FORMAT_VERSION, FileSessionPersistDriver, FileStoreBusyError, FileStoreVersionError } from "../../drivers/file.js";
import { processStart } from "../../drivers/file/boot.js";
import { sessionName } from "../../drivers/file/names.js";
import { PersistValidationError } from "../../src/persist/errors.js";
import { conformanceFixtures } from "../../src/testing.js";
import { allEvents } from "../support/client.js";
import { seedSmallAndLarge, tailTimes } from "../support/tail-cost.js";

const { makeEvents, minimalRecord } = conformanceFixtures;
const root = mkdtempSync(join(tmpdir(), "durable-agent-file-"));
let counter = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));
const freshDir = () => join(root, `store-${++counter}`);

/** Every path under `dir`, relative. */
function tree(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? tree(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

describe("FileSessionPersistDriver options", () => {
  it("refuses a missing directory, an unknown fsync policy and a negative lock timeout, touching nothing", () => {
    for (const options of [{}, { directory: "" }, { directory: "a\0b" }, { directory: "x", fsync: "sometimes" }, { directory: "x", lockTimeoutMs: -1 }]) {
      assert.throws(() => new FileSessionPersistDriver(options as never), PersistValidationError);
    }
    const directory = freshDir();
    new FileSessionPersistDriver({ directory });
    expect(existsSync(directory)).toBe(false);
  });
});

describe("FileSessionPersistDriver files", () => {
  it("names a session's directory safely whatever its id: inside the store, no traversal, NUL, case clash or device name", async () => {
    const directory = freshDir();
    const driver = new FileSessionPersistDriver({ directory });
    const ids = ["../../etc/passwd", "..", ".", "a/b\\c", "nul\0byte", "CON", "con", "Aa", "aa", "🙂", "x".repeat(1024), "é".repeat(600)];
    try {
      const eventsOf = (id: string) => makeEvents(id, 0, 2).map((e) => ({ ...e, id: `${ids.indexOf(id)}:${e.eventIndex}` }));
      for (const id of ids) {
        await driver.updateSession(minimalRecord(id));
        await driver.insertEvents(id, eventsOf(id));
      }
      const names = readdirSync(join(directory, "sessions"));
      expect(names).toHaveLength(ids.length);
      for (const name of names) {
        expect(name).toMatch(/^s-[a-z0-9_~-]+$/);
        expect(name.length).toBeLessThanOrEqual(120);
      }
      for (const id of ids) {
        expect((await driver.getSession(id))?.id).toBe(id);
        expect((await allEvents(driver, id)).map((e) => e.sessionId)).toEqual([id, id]);
      }
      expect(sessionName("Aa")).not.toBe(sessionName("aa"));
      expect(tree(directory).every((path) => !path.includes(".."))).toBe(true);
    } finally {
      await driver.close();
    }
  });

  it("appends to the log without rewriting it, and replaces the record by rename", async () => {
    const directory = freshDir();
    const driver = new FileSessionPersistDriver({ directory });
    try {
      await driver.updateSession(minimalRecord("s"));
      await driver.insertEvents("s", makeEvents("s", 0, 3));
      const dir = join(directory, "sessions", sessionName("s"));
      const log = statSync(join(dir, "events.jsonl"));
      const record = statSync(join(dir, "record.json"));
      const before = readFileSync(join(dir, "events.jsonl"));
      await driver.insertEvent("s", makeEvents("s", 3, 4)[0] as ReturnType<typeof makeEvents>[number]);
      await driver.updateSession({ ...minimalRecord("s"), agent: "other" });
      const after = readFileSync(join(dir, "events.jsonl"));
      expect(statSync(join(dir, "events.jsonl")).ino).toBe(log.ino);
      expect(after.subarray(0, before.length).equals(before)).toBe(true);
      expect(statSync(join(dir, "record.json")).ino).not.toBe(record.ino);
      expect(tree(dir).sort()).toEqual(["events.idx", "events.jsonl", "record.json"]);
    } finally {
      await driver.close();
    }
  });

  it("deletes a session's directory at once, and frees its event ids", async () => {
    const directory = freshDir();
    const driver = new FileSessionPersistDriver({ directory });
    try {
      await driver.updateSession(minimalRecord("s"));
      await driver.insertEvents("s", makeEvents("s", 0, 3));
      await driver.deleteSession("s");
      expect(readdirSync(join(directory, "sessions"))).toEqual([]);
      expect(readdirSync(join(directory, "trash"))).toEqual([]);
      expect((await driver.listSessions()).items).toEqual([]);
      const moved = makeEvents("s", 0, 3).map((e) => ({ ...e, sessionId: "t" }));
      await driver.insertEvents("t", moved);
      expect(await allEvents(driver, "t")).toEqual(moved);
    } finally {
      await driver.close();
    }
  });

  it("reads the tail of a 100,000-event session at the cost of a 1,000-event one", async () => {
    const directory = freshDir();
    const driver = new FileSessionPersistDriver({ directory, fsync: "never" });
    try {
      await seedSmallAndLarge(driver);
      const reader = new FileSessionPersistDriver({ directory }); // a fresh process's view: loads the index once
      const { small, large } = await tailTimes(reader);
      expect(large).toBeLessThan(small * 3 + 1);
      await reader.close();
    } finally {
      await driver.close();
    }
  }, 60_000);
});

describe("FileSessionPersistDriver lock", () => {
  it("breaks a lock whose holder is dead, and waits for a live one until lockTimeoutMs (FileStoreBusyError)", async () => {
    const directory = freshDir();
    const driver = new FileSessionPersistDriver({ directory, lockTimeoutMs: 300 });
    try {
      await driver.updateSession(minimalRecord("s")); // creates the store
      const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
      // A dead holder: a pid that ran and exited.
      const dead = spawn(process.execPath, ["-e", ""]);
      await new Promise((resolve) => dead.on("exit", resolve));
      writeFileSync(join(directory, "lock"), JSON.stringify({ pid: dead.pid, start: 1, boot }));
      await driver.insertEvent("s", makeEvents("s", 0, 1)[0] as ReturnType<typeof makeEvents>[number]);
      expect(existsSync(join(directory, "lock"))).toBe(false);
      // A live holder.
      const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        writeFileSync(join(directory, "lock"), JSON.stringify({ pid: live.pid, start: processStart(live.pid as number), boot }));
        const error = await driver.insertEvent("s", makeEvents("s", 1, 2)[0] as ReturnType<typeof makeEvents>[number]).catch((e: unknown) => e);
        assert.ok(error instanceof FileStoreBusyError, String(error));
        expect(error.code).toBe("persist.file.busy");
        expect(error.holderPid).toBe(live.pid);
        // Reads take no lock.
        expect((await allEvents(driver, "s")).map((e) => e.eventIndex)).toEqual([0]);
      } finally {
        live.kill("SIGKILL");
      }
      // A recycled pid: alive, but started at another time than the lock says.
      writeFileSync(join(directory, "lock"), JSON.stringify({ pid: process.pid, start: processStart(process.pid) + 1, boot }));
      await driver.insertEvent("s", makeEvents("s", 1, 2)[0] as ReturnType<typeof makeEvents>[number]);
    } finally {
      await driver.close();
    }
  });
});

describe("FileSessionPersistDriver after a reboot", () => {
  it("rebuilds the listing, the registry and the page indexes from the logs and records", async () => {
    const directory = freshDir();
    const driver = new FileSessionPersistDriver({ directory });
    await driver.updateSession(minimalRecord("a", 2));
    await driver.updateSession(minimalRecord("b", 1));
    await driver.insertEvents("a", makeEvents("a", 0, 5));
    await driver.close();
    // What an OS crash can do to files written without fsync: lose them, or part of them.
    rmSync(join(directory, "event-ids"), { recursive: true });
    writeFileSync(join(directory, "sessions.jsonl"), "");
    writeFileSync(join(directory, "sessions", sessionName("a"), "events.idx"), Buffer.alloc(30));
    const meta = JSON.parse(readFileSync(join(directory, "store.json"), "utf8")) as { boot: string };
    writeFileSync(join(directory, "store.json"), JSON.stringify({ ...meta, boot: "another-boot" }));

    const reopened = new FileSessionPersistDriver({ directory });
    try {
      expect((await reopened.listSessions()).items.map((r) => r.id)).toEqual(["b", "a"]);
      expect(await allEvents(reopened, "a")).toEqual(makeEvents("a", 0, 5));
      // The registry knows the ids again: one of them in another session is a conflict.
      const clash = await reopened.insertEvent("b", { ...(makeEvents("a", 0, 1)[0] as ReturnType<typeof makeEvents>[number]), sessionId: "b" }).catch((e: unknown) => e);
      expect((clash as { reason?: string }).reason).toBe("id");
      expect(JSON.parse(readFileSync(join(directory, "store.json"), "utf8"))).toMatchObject({ format: FILE_FORMAT_VERSION });
    } finally {
      await reopened.close();
    }
  });

  it("refuses a directory written by a newer format, changing nothing", async () => {
    const directory = freshDir();
    const driver = new FileSessionPersistDriver({ directory });
    await driver.updateSession(minimalRecord("a"));
    await driver.close();
    writeFileSync(join(directory, "store.json"), JSON.stringify({ format: FILE_FORMAT_VERSION + 1, boot: "x" }));
    const newer = new FileSessionPersistDriver({ directory });
    const error = await newer.getSession("a").catch((e: unknown) => e);
    assert.ok(error instanceof FileStoreVersionError, String(error));
    expect(error.foundVersion).toBe(FILE_FORMAT_VERSION + 1);
    await newer.close();
  });
});
