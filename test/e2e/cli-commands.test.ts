// The durable-agent CLI as a user runs it (a spawned process) on every store kind: ls, show,
// events, verify, tail, and export -> import into another kind -> export, byte for byte.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_STORE_KINDS, jsonOf, runCli, seedStore, testStores, type CliStoreKind } from "../support/cli.js";

/** The export files of this file's tests, removed afterwards. */
const exportsDir = mkdtempSync(join(tmpdir(), "durable-agent-cli-exports-"));
afterAll(() => rmSync(exportsDir, { recursive: true, force: true }));

const freshStore = testStores();

/** Where each kind's export is imported, so every kind is both a source and a target. */
const NEXT: Record<CliStoreKind, CliStoreKind> = { sqlite: "postgres", postgres: "redis", redis: "file", file: "sqlite" };

describe.each(CLI_STORE_KINDS)("durable-agent CLI on %s", (kind) => {
  it("ls, show, events, verify and tail read what the sessions hold", async () => {
    const store = freshStore(kind, "read");
    const driver = store.open();
    const sessions = await seedStore(driver, 3);
    await driver.close();

    const ls = await runCli(["ls", store.url]);
    expect(ls.code, ls.stderr).toBe(0);
    for (const s of sessions) expect(ls.stdout).toContain(s.record.id);
    expect(ls.stdout).not.toContain("secret");

    // Paging: two pages of 2 and 1, following the printed cursor.
    const first = jsonOf<{ items: { record: { id: string }; lastEventIndex: number }[]; nextCursor?: string }>(
      await runCli(["ls", store.url, "--limit", "2", "--json"]),
    );
    expect(first.items.map((i) => i.record.id)).toEqual(["ticket-0", "ticket-1"]);
    expect(first.items[0]!.lastEventIndex).toBe(sessions[0]!.events.length - 1);
    const second = jsonOf<{ items: { record: { id: string } }[]; nextCursor?: string }>(
      await runCli(["ls", store.url, "--limit", "2", "--cursor", first.nextCursor!, "--json"]),
    );
    expect(second.items.map((i) => i.record.id)).toEqual(["ticket-2"]);
    expect(second.nextCursor).toBeUndefined();

    const show = await runCli(["show", store.url, "ticket-0"]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("user: Turn 0: fix the bug in src/app-0.ts — naïve café ✓ 🚀");
    expect(show.stdout).toContain("agent: Done with turn 0. The fix: use `===`.");
    expect(show.stdout).toContain("tool: Read src/app-0.ts [read, completed, permission allow_once]");
    expect(show.stdout).not.toContain("thinking about turn 0");
    const withThoughts = await runCli(["show", store.url, "ticket-0", "--thoughts", "--json"]);
    const transcript = jsonOf<{ eventCount: number; transcript: { kind: string; text?: string }[] }>(withThoughts);
    expect(transcript.eventCount).toBe(sessions[0]!.events.length);
    expect(transcript.transcript.some((e) => e.kind === "thought" && e.text === "thinking about turn 0")).toBe(true);

    const page = jsonOf<{ items: { eventIndex: number; payload: unknown }[]; nextAfter?: number }>(
      await runCli(["events", store.url, "ticket-2", "--after", "3", "--limit", "5", "--json"]),
    );
    expect(page.items.map((e) => e.eventIndex)).toEqual([4, 5, 6, 7, 8]);
    expect(page.items[0]!.payload).toEqual(sessions[2]!.events[4]!.payload);
    expect(page.nextAfter).toBe(8);
    const text = await runCli(["events", store.url, "ticket-2", "--after", "3", "--limit", "5"]);
    expect(text.stdout).toContain("more: durable-agent events");
    expect(text.stdout).toContain("--after 8 --limit 5");

    const verify = await runCli(["verify", store.url, "--json"]);
    expect(verify.code, verify.stderr).toBe(0);
    const report = jsonOf<{ ok: boolean; sessions: number; events: number }>(verify);
    expect(report).toMatchObject({ ok: true, sessions: 3, events: sessions.reduce((n, s) => n + s.events.length, 0) });

    const tail = await runCli(["tail", store.url, "ticket-1", "-n", "3", "--json"]);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout.trim().split("\n").map((l) => JSON.parse(l) as { eventIndex: number });
    const last = sessions[1]!.events.length - 1;
    expect(lines.map((e) => e.eventIndex)).toEqual([last - 2, last - 1, last]);

    for (const args of [["show", store.url, "nope"], ["events", store.url, "nope"], ["tail", store.url, "nope"], ["export", store.url, "nope"]]) {
      const missing = await runCli([...args, "--json"]);
      expect(missing.code, args.join(" ")).toBe(4);
      expect(jsonOf<{ error: { code: string } }>(missing).error.code).toBe("cli.not_found");
    }
  });

  it(`export -> import into ${NEXT[kind]} -> export is byte-identical; a re-import changes nothing and says so`, async () => {
    const source = freshStore(kind, "src");
    const driver = source.open();
    await seedStore(driver, 4);
    await driver.close();
    const target = freshStore(NEXT[kind], "dst");
    const file = join(exportsDir, `export-${kind}.jsonl`);

    const exported = await runCli(["export", source.url, "-o", file, "--json"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(jsonOf(exported)).toMatchObject({ sessions: 4 });
    const original = readFileSync(file);

    const imported = await runCli(["import", target.url, file, "--json"]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(jsonOf(imported)).toMatchObject({ changed: true, sessions: { new: 4, unchanged: 0 } });

    const again = await runCli(["export", target.url]);
    expect(again.code, again.stderr).toBe(0);
    expect(Buffer.from(again.stdout, "utf8").equals(original)).toBe(true);

    // Re-import, from stdin this time: nothing written, and the CLI says so.
    const reimport = await runCli(["import", target.url], { input: original.toString("utf8") });
    expect(reimport.code, reimport.stderr).toBe(0);
    expect(reimport.stdout).toMatch(/^nothing changed: all 4 session\(s\) and \d+ event\(s\) were already in /);
    const reimportJson = jsonOf<{ changed: boolean; events: { new: number; unchanged: number } }>(await runCli(["import", target.url, file, "--json"]));
    expect(reimportJson.changed).toBe(false);
    expect(reimportJson.events.new).toBe(0);
    expect((await runCli(["export", target.url])).stdout).toBe(original.toString("utf8"));

    // One session exported alone is that session's lines only.
    const one = await runCli(["export", source.url, "ticket-2"]);
    const oneLines = one.stdout.trim().split("\n");
    expect(oneLines[1]).toContain('"id":"ticket-2"');
    expect(oneLines.slice(2).every((l) => l.includes('"sessionId":"ticket-2"'))).toBe(true);
  });

  it("import refuses a conflicting or malformed file and changes nothing", async () => {
    const target = freshStore(kind, "conflict");
    const driver = target.open();
    await seedStore(driver, 2);
    await driver.close();
    const exported = (await runCli(["export", target.url])).stdout;
    const before = exported;

    // The same session with one event changed, plus a session the target lacks.
    const lines = exported.trim().split("\n");
    const changed = lines.map((line) => (line.includes('"eventIndex":5,') ? line.replace('"connectionId":"conn-', '"connectionId":"other-') : line));
    changed.push(JSON.stringify({ type: "session", record: { id: "fresh", agent: "mock", agentSessionId: "a", lastConnectionId: "c", createdAt: 1 } }));
    const file = join(exportsDir, `conflict-${kind}.jsonl`);
    writeFileSync(file, `${changed.join("\n")}\n`);
    const refused = await runCli(["import", target.url, file, "--json"]);
    expect(refused.code).toBe(5);
    expect(jsonOf<{ error: { code: string; message: string } }>(refused).error).toMatchObject({ code: "cli.conflict" });
    expect(refused.stderr).toContain("eventIndex 5 holds a different event");

    // A malformed line (a bad sender) names its line number.
    const bad = lines.map((line, i) => (i === 4 ? line.replace('"sender":"agent"', '"sender":"robot"').replace('"sender":"client"', '"sender":"robot"') : line));
    writeFileSync(file, `${bad.join("\n")}\n`);
    const malformed = await runCli(["import", target.url, file]);
    expect(malformed.code).toBe(5);
    expect(malformed.stderr).toContain("line 5");
    expect(malformed.stderr).toContain("sender");

    writeFileSync(file, "not an export\n");
    const notExport = await runCli(["import", target.url, file]);
    expect(notExport.code).toBe(5);
    expect(notExport.stderr).toContain("not a durable-agent export");

    expect((await runCli(["export", target.url])).stdout).toBe(before);
    expect((await runCli(["ls", target.url])).stdout).not.toContain("fresh");
  });
});
