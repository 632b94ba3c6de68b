// The CLI carries agent state files (the copies of the agent's own session files that restore
// a lost sandbox by session/load): migrate copies them byte for byte and verifies them, a
// re-run is a no-op, a target holding a prefix is completed and one holding something else is
// a conflict; export/import carry them (binary, empty, larger than 8 MiB) and an old export
// still imports; verify reads them; show mentions them. A target without the capability is
// refused before anything is written unless --without-agent-state says to leave them behind.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { importInto } from "../../cli/commands/import.js";
import { migrateStores } from "../../cli/commands/migrate.js";
import { compareFiles } from "../../cli/migrate-agent-state.js";
import type { CommandContext } from "../../cli/context.js";
import { CliError } from "../../cli/errors.js";
import { AGENT_STATE_LINE_BYTES } from "../../cli/export-format.js";
import type { OpenStore, StoreDriver } from "../../cli/open-store.js";
import { Output } from "../../cli/output.js";
import { MANIFEST_KEY } from "../../src/agent-state/manifest.js";
import { adminPool } from "../support/postgres.js";
import { finished, jsonOf, printed, runCli, seedStore, startCli, testStores, type TestStore } from "../support/cli.js";
import { binary, manifest, putFile, readFiles, seedAgentState, storageOf, TRANSCRIPT_KEY, withoutAgentStateCapability } from "../support/cli-agent-state.js";

const freshStore = testStores();
const exportsDir = mkdtempSync(join(tmpdir(), "durable-agent-cli-state-"));
afterAll(() => rmSync(exportsDir, { recursive: true, force: true }));

interface MigrateReport {
  events: { copied: number; alreadyThere: number };
  agentState: { files: { copied: number; alreadyThere: number; replaced: string[] }; bytes: number; leftBehind?: { sessions: number; files: number; bytes: number }; skipped?: string };
  conflicts: { sessionId: string; detail: string }[];
  verify?: { sessions: number; events: number; agentStateFiles: number; mismatches: { sessionId: string; detail: string }[] };
  error?: { code: string; exitCode: number };
}

/** A source store seeded with 3 recorded sessions and agent state in two of them. */
async function seededSource(kind: TestStore["kind"], label: string, bigBytes?: number) {
  const store = freshStore(kind, label);
  const driver = store.open();
  await seedStore(driver, 3);
  const files = await seedAgentState(driver, bigBytes);
  await driver.close();
  return { store, files };
}

/** Assert that `store` holds exactly `files` (by session), byte for byte, and none for the sessions of `without`. */
async function expectFiles(store: TestStore, files: Map<string, Map<string, Uint8Array>>, without = ["ticket-1"]): Promise<void> {
  const driver = store.open();
  try {
    for (const [sessionId, byPath] of files) {
      const stored = await readFiles(driver, sessionId);
      expect([...stored.keys()].sort()).toEqual([...byPath.keys()].sort());
      for (const [path, data] of byPath) expect(Buffer.from(stored.get(path)!).equals(Buffer.from(data)), `${sessionId} ${path}`).toBe(true);
    }
    for (const sessionId of without) expect((await readFiles(driver, sessionId)).size, sessionId).toBe(0);
  } finally {
    await driver.close();
  }
}

/** Agent state pieces stored in a PostgreSQL test store (0 before its tables exist). */
async function pgChunkRows(store: TestStore): Promise<number> {
  const pool = adminPool();
  try {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${store.where}".durable_agent_agent_chunks`);
    return Number(rows[0]!.n);
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return 0;
    throw error;
  } finally {
    await pool.end();
  }
}

const totalBytes = (files: Map<string, Map<string, Uint8Array>>) => [...files.values()].flatMap((m) => [...m.values()]).reduce((n, d) => n + d.length, 0);

describe("durable-agent migrate with agent state", () => {
  it("SQLite -> PostgreSQL copies every file byte for byte (binary, empty, 9 MiB in 8 MiB appends), verifies them; a re-run copies nothing", async () => {
    const { store: from, files } = await seededSource("sqlite", "state-src");
    const to = freshStore("postgres", "state_dst");

    const first = await runCli(["migrate", from.url, to.url, "--json"], { timeoutMs: 120_000 });
    expect(first.code, first.stderr).toBe(0);
    const report = jsonOf<MigrateReport>(first);
    expect(report.agentState).toEqual({ files: { copied: 4, alreadyThere: 0, replaced: [] }, bytes: totalBytes(files) });
    expect(report.verify).toMatchObject({ sessions: 3, agentStateFiles: 4, mismatches: [] });
    await expectFiles(to, files);

    // The 9 MiB file went in appends of at most 8 MiB: two chunk rows in PostgreSQL.
    const pool = adminPool();
    try {
      const chunks = await pool.query<{ n: string; largest: string }>(
        `SELECT count(*) AS n, max(length(data)) AS largest FROM "${to.where}".durable_agent_agent_chunks WHERE path = 'file:/home/user/.cache/blob.bin'`,
      );
      expect(Number(chunks.rows[0]!.n)).toBe(2);
      expect(Number(chunks.rows[0]!.largest)).toBe(8 * 1024 * 1024);
    } finally {
      await pool.end();
    }

    const again = await runCli(["migrate", from.url, to.url, "--json"], { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    const second = jsonOf<MigrateReport>(again);
    expect(second.events.copied).toBe(0);
    expect(second.agentState).toEqual({ files: { copied: 0, alreadyThere: 4, replaced: [] }, bytes: 0 });
    expect(second.verify?.mismatches).toEqual([]);

    const text = await runCli(["migrate", from.url, to.url]);
    expect(text.stdout).toContain("agent state: copied 0 file(s) (0 B); 4 were already there");
    expect(text.stdout).toMatch(/verified: 3 session\(s\), \d+ event\(s\), 4 agent state file\(s\) identical/);
  });

  it("a target holding a prefix is completed; one holding a different file is a conflict (exit 5, session untouched) until --update-records", async () => {
    const { store: from, files } = await seededSource("file", "state-conf", 4096);
    const to = freshStore("redis", "state-conf");
    const transcript = files.get("ticket-0")!.get(TRANSCRIPT_KEY)!;
    const target = to.open();
    // ticket-0: the first half of its transcript (a copy cut short); ticket-2: another blob.
    await putFile(storageOf(target), "ticket-0", TRANSCRIPT_KEY, transcript.subarray(0, 40));
    const other = binary(4096).map((b) => b ^ 0xff);
    await putFile(storageOf(target), "ticket-2", "file:/home/user/.cache/blob.bin", other);
    await target.close();

    const refused = await runCli(["migrate", from.url, to.url, "--json"]);
    expect(refused.code, refused.stderr).toBe(5);
    const report = jsonOf<MigrateReport>(refused);
    expect(report.conflicts).toEqual([{ sessionId: "ticket-2", detail: expect.stringContaining('different agent state file "file:/home/user/.cache/blob.bin"') }]);
    // ticket-0's prefix completed, its manifest after it; ticket-2 untouched (no events, the other blob kept).
    expect(report.agentState.files.copied).toBe(2);
    const check = to.open();
    expect(Buffer.from((await readFiles(check, "ticket-0")).get(TRANSCRIPT_KEY)!).equals(Buffer.from(transcript))).toBe(true);
    expect((await check.listEvents({ sessionId: "ticket-2" })).items).toEqual([]);
    expect(await check.getSession("ticket-2")).toBeUndefined();
    expect(Buffer.from((await readFiles(check, "ticket-2")).get("file:/home/user/.cache/blob.bin")!).equals(Buffer.from(other))).toBe(true);
    await check.close();

    // ticket-2 gets a manifest in the source, and a different one in the target: both replaced.
    const newer = manifest("agent-ticket-2");
    files.get("ticket-2")!.set(MANIFEST_KEY, newer);
    for (const [store, data] of [[from, newer], [to, new TextEncoder().encode('{"version":1,"older":true}')]] as const) {
      const driver = store.open();
      await putFile(storageOf(driver), "ticket-2", MANIFEST_KEY, data);
      await driver.close();
    }
    const forced = await runCli(["migrate", from.url, to.url, "--update-records", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(jsonOf<MigrateReport>(forced)).toMatchObject({
      agentState: { files: { replaced: ["ticket-2: file:/home/user/.cache/blob.bin", `ticket-2: ${MANIFEST_KEY}`] } },
      verify: { agentStateFiles: 5, mismatches: [] },
    });
    await expectFiles(to, files);
  });

  it("SIGKILLed while copying files: what the target holds is whole up to a manifest, and the next run completes it", async () => {
    const from = freshStore("sqlite", "state-kill");
    const to = freshStore("postgres", "state_kill");
    const seed = from.open();
    await seedStore(seed, 4);
    const files = new Map<string, Map<string, Uint8Array>>();
    for (let i = 0; i < 4; i++) {
      const byPath = new Map([
        ["file:/big.bin", binary(12 * 1024 * 1024 + i)],
        [MANIFEST_KEY, manifest(`agent-ticket-${i}`)],
      ]);
      for (const [path, data] of byPath) await putFile(storageOf(seed), `ticket-${i}`, path, data, 2);
      files.set(`ticket-${i}`, byPath);
    }
    await seed.close();

    const child = startCli(["migrate", from.url, to.url, "--json"]);
    let rows = 0;
    for (let i = 0; i < 6000 && child.exitCode === null; i++) {
      // Three pieces a session (8 MiB + 4 MiB, the manifest): ticket-0 done, ticket-1 under way.
      rows = await pgChunkRows(to);
      if (rows >= 4) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(child.exitCode, `the migration ended before it could be killed: ${printed(child).stderr}`).toBeNull();
    child.kill("SIGKILL");
    expect((await finished(child)).code).toBeNull();

    // Where a manifest was copied, every other file of its session is whole.
    const target = to.open();
    let manifests = 0;
    for (const [sessionId, byPath] of files) {
      const stored = await readFiles(target, sessionId);
      if (!stored.has(MANIFEST_KEY)) continue;
      manifests += 1;
      expect(Buffer.from(stored.get("file:/big.bin")!).equals(Buffer.from(byPath.get("file:/big.bin")!)), sessionId).toBe(true);
    }
    await target.close();
    expect(manifests).toBeGreaterThanOrEqual(1);

    const resumed = await runCli(["migrate", from.url, to.url, "--json"], { timeoutMs: 180_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonOf<MigrateReport>(resumed).verify).toMatchObject({ agentStateFiles: 8, mismatches: [] });
    await expectFiles(to, files, []);
  });

  it("--without-agent-state leaves the files behind and says so", async () => {
    const { store: from, files } = await seededSource("sqlite", "state-left", 2048);
    const to = freshStore("file", "state-left");
    const result = await runCli(["migrate", from.url, to.url, "--without-agent-state"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`agent state: LEFT BEHIND 4 file(s) (${((totalBytes(files)) / 1000).toFixed(1)} KB) of 2 session(s) (--without-agent-state)`);
    const driver = to.open();
    expect((await readFiles(driver, "ticket-0")).size).toBe(0);
    expect((await driver.listEvents({ sessionId: "ticket-0" })).items.length).toBeGreaterThan(0);
    await driver.close();
  });
});

/** A command context whose output is collected. */
function collecting(): { ctx: CommandContext; text: () => string } {
  let text = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  return { ctx: { out: new Output(false, sink, sink), signal: new AbortController().signal }, text: () => text };
}

/** An open store on a test store's driver, optionally with the agent state capability hidden. */
function opened(store: TestStore, hideCapability: boolean): OpenStore {
  const driver = store.open();
  const shown = (hideCapability ? withoutAgentStateCapability(driver) : driver) as StoreDriver;
  return { kind: store.kind, display: store.url, driver: shown, close: () => driver.close() };
}

async function rejection(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error("expected a CliError");
}

describe("migrate's comparison of agent state files", () => {
  it("names a file missing, only in the target, of another size, or of other bytes at the same size", async () => {
    const a = freshStore("sqlite", "cmp-a");
    const b = freshStore("file", "cmp-b");
    const [left, right] = [a.open(), b.open()];
    const [source, target] = [storageOf(left), storageOf(right)];
    const bytes = binary(5000);
    const flipped = bytes.slice();
    flipped[4321] = flipped[4321]! ^ 1;
    await putFile(source, "s", "same", bytes);
    await putFile(target, "s", "same", bytes);
    expect(await compareFiles(source, target, "s")).toEqual({ files: 1, differences: [] });
    await putFile(source, "s", "flipped", bytes);
    await putFile(target, "s", "flipped", flipped);
    await putFile(source, "s", "shorter", bytes);
    await putFile(target, "s", "shorter", bytes.subarray(0, 4999));
    await putFile(source, "s", "missing", bytes);
    await putFile(target, "s", "extra", bytes);
    const { differences } = await compareFiles(source, target, "s");
    expect(differences.sort()).toEqual([
      'agent state file "extra" is only in the target',
      'agent state file "flipped": same size (5000), different content',
      'agent state file "missing" is missing in the target',
      'agent state file "shorter": 5000 byte(s) in the source, 4999 in the target',
    ]);
    await left.close();
    await right.close();
  });
});

describe("a target without the agent state capability", () => {
  it("migrate refuses (exit 5) before writing anything; --without-agent-state migrates and reports what was left behind", async () => {
    const { store: from } = await seededSource("sqlite", "nocap-src", 1000);
    const to = freshStore("file", "nocap-dst");
    const source = opened(from, false);
    const target = opened(to, true);
    try {
      const refused = await rejection(migrateStores(source, target, { verify: true, updateRecords: false }, collecting().ctx));
      expect(refused).toMatchObject({ code: "cli.agent_state_unsupported", exitCode: 5 });
      expect(refused.message).toContain("2 session(s) have agent state files (4 file(s)");
      expect(refused.message).toContain("--without-agent-state");
      expect((await target.driver.listSessions({})).items).toEqual([]);

      const run = collecting();
      await migrateStores(source, target, { verify: true, updateRecords: false, withoutAgentState: true }, run.ctx);
      expect(run.text()).toContain("agent state: LEFT BEHIND 4 file(s)");
      expect(run.text()).toContain("verified: 3 session(s)");
      expect((await target.driver.listSessions({})).items).toHaveLength(3);
    } finally {
      await source.close();
      await target.close();
    }
  });

  it("migrate of a source without files needs no flag", async () => {
    const from = freshStore("sqlite", "nocap-empty");
    const seed = from.open();
    await seedStore(seed, 2);
    await seed.close();
    const source = opened(from, false);
    const target = opened(freshStore("sqlite", "nocap-empty-dst"), true);
    try {
      const run = collecting();
      await migrateStores(source, target, { verify: true, updateRecords: false }, run.ctx);
      expect(run.text()).toContain("cannot store agent state, and the source has none");
    } finally {
      await source.close();
      await target.close();
    }
  });

  it("import refuses (exit 5, nothing written) an export with files; --without-agent-state imports the rest", async () => {
    const { store: from } = await seededSource("sqlite", "nocap-imp", 1000);
    const file = join(exportsDir, "nocap.jsonl");
    expect((await runCli(["export", from.url, "-o", file])).code).toBe(0);
    const target = opened(freshStore("file", "nocap-imp"), true);
    try {
      const refused = await rejection(importInto(target, file, file, {}, collecting().ctx));
      expect(refused).toMatchObject({ code: "cli.agent_state_unsupported", exitCode: 5 });
      expect((await target.driver.listSessions({})).items).toEqual([]);
      const run = collecting();
      await importInto(target, file, file, { withoutAgentState: true }, run.ctx);
      expect(run.text()).toContain("agent state: LEFT BEHIND 4 file(s)");
      expect((await target.driver.listSessions({})).items).toHaveLength(3);
    } finally {
      await target.close();
    }
  });
});

describe("durable-agent export / import with agent state", () => {
  it("round trip SQLite -> Redis carries every file byte for byte, in canonical lines; a re-import changes nothing", async () => {
    const { store: from, files } = await seededSource("sqlite", "exp-src");
    const to = freshStore("redis", "exp-dst");
    const file = join(exportsDir, "state.jsonl");
    const exported = await runCli(["export", from.url, "-o", file, "--json"], { timeoutMs: 120_000 });
    expect(exported.code, exported.stderr).toBe(0);
    expect(jsonOf(exported)).toMatchObject({ sessions: 3, agentState: { files: 4, bytes: totalBytes(files) } });

    const text = readFileSync(file, "utf8");
    const lines = text.trim().split("\n").map((l) => JSON.parse(l) as { type?: string; version?: number; sessionId?: string; path?: string; offset?: number; data?: string; record?: { id: string } });
    expect(lines[0]).toEqual({ format: "durable-agent-export", version: 2 });
    // Each session: its record, its events, then its files (the manifest last).
    const kinds = lines.slice(1).map((l) => (l.type === "session" ? `S:${l.record!.id}` : l.type === "event" ? "e" : `A:${l.path}`));
    const order = kinds.join(" ").replace(/(e )+/g, "e* ");
    expect(order).toBe(
      `S:ticket-0 e* A:${TRANSCRIPT_KEY} A:${MANIFEST_KEY} S:ticket-1 e* S:ticket-2 e* ` +
        `${Array.from({ length: 10 }, () => "A:file:/home/user/.cache/blob.bin").join(" ")} A:file:/tmp/empty`,
    );
    const blob = lines.filter((l) => l.path === "file:/home/user/.cache/blob.bin");
    expect(blob.map((l) => l.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i * AGENT_STATE_LINE_BYTES));
    expect(lines.find((l) => l.path === "file:/tmp/empty")).toMatchObject({ offset: 0, size: 0, data: "" });

    const imported = await runCli(["import", to.url, file, "--json"], { timeoutMs: 120_000 });
    expect(imported.code, imported.stderr).toBe(0);
    expect(jsonOf(imported)).toMatchObject({ changed: true, agentState: { new: 4, unchanged: 0, bytes: totalBytes(files) } });
    await expectFiles(to, files);

    const back = await runCli(["export", to.url], { timeoutMs: 120_000 });
    expect(back.stdout === text, "the export of the import is byte-identical").toBe(true);

    const again = await runCli(["import", to.url, file], { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^nothing changed: all 3 session\(s\), \d+ event\(s\) and 4 agent state file\(s\) were already in /);
  });

  it("an old export (version 1, no agent state lines) still imports; malformed agent state lines are refused with nothing written", async () => {
    const { store: from } = await seededSource("sqlite", "old-src", 3 * 1024 * 1024 + 7);
    const full = (await runCli(["export", from.url])).stdout;
    const lines = full.trim().split("\n");
    const target = freshStore("postgres", "old_dst");

    // What an older release wrote: the version 1 header, records and events only.
    const old = [JSON.stringify({ format: "durable-agent-export", version: 1 }), ...lines.slice(1).filter((l) => !l.startsWith('{"type":"agent-state"'))];
    const oldFile = join(exportsDir, "old.jsonl");
    writeFileSync(oldFile, `${old.join("\n")}\n`);
    const imported = await runCli(["import", target.url, oldFile, "--json"]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(jsonOf(imported)).toMatchObject({ changed: true, sessions: { new: 3 }, agentState: { new: 0 } });

    const bad = async (text: string[], expected: string) => {
      const path = join(exportsDir, "bad.jsonl");
      writeFileSync(path, `${text.join("\n")}\n`);
      const result = await runCli(["import", target.url, path]);
      expect(result.code, result.stderr).toBe(5);
      expect(result.stderr).toContain(expected);
    };
    // Agent state lines under a version 1 header.
    await bad([old[0]!, ...lines.slice(1)], "an agent state line in a version 1 export");
    // A middle piece of the 3 MiB file missing.
    const second = lines.findIndex((l) => l.includes('"offset":1048576'));
    await bad(lines.filter((_, i) => i !== second), "lines out of order or missing");
    // The last piece missing.
    const last = lines.findIndex((l) => l.includes('"offset":3145728'));
    await bad(lines.filter((_, i) => i !== last), "ends at byte 3145728 of its 3145735 (lines missing)");
    // Data that is not canonical base64.
    const transcriptLine = lines.findIndex((l) => l.includes(`"path":${JSON.stringify(TRANSCRIPT_KEY)}`));
    await bad(lines.map((l, i) => (i === transcriptLine ? l.replace(/"data":"[^"]*"/, '"data":"not base64!"') : l)), `line ${transcriptLine + 1}: data must be a string of standard base64`);
    // An agent state line of another session.
    await bad(lines.map((l, i) => (i === transcriptLine ? l.replace('"sessionId":"ticket-0"', '"sessionId":"ticket-1"') : l)), 'an agent state line of session "ticket-1" under session "ticket-0"');

    const driver = target.open();
    expect((await readFiles(driver, "ticket-0")).size).toBe(0);
    expect((await readFiles(driver, "ticket-2")).size).toBe(0);
    await driver.close();

    // A target file that differs: a conflict, nothing imported.
    const holder = target.open();
    await putFile(storageOf(holder), "ticket-0", MANIFEST_KEY, new TextEncoder().encode("{}"));
    await holder.close();
    const conflict = await runCli(["import", target.url, writeTemp("full.jsonl", full)]);
    expect(conflict.code, conflict.stderr).toBe(5);
    expect(conflict.stderr).toContain(`the target holds a different agent state file "${MANIFEST_KEY}"`);
    const after = target.open();
    expect((await readFiles(after, "ticket-2")).size).toBe(0);
    await after.close();
  });
});

function writeTemp(name: string, text: string): string {
  const path = join(exportsDir, name);
  writeFileSync(path, text);
  return path;
}

describe("durable-agent verify and show with agent state", () => {
  it("verify reads every file (a damaged one is named, exit 1; sessions without files pass); show mentions them", async () => {
    const { store } = await seededSource("postgres", "verify_state", 2 * 1024 * 1024);
    const sound = await runCli(["verify", store.url, "--json"]);
    expect(sound.code, sound.stdout).toBe(0);
    expect(jsonOf(sound)).toMatchObject({ ok: true, sessions: 3, agentStateFiles: 4 });

    const show = await runCli(["show", store.url, "ticket-0"]);
    expect(show.stdout).toMatch(/^agent state: 2 file\(s\), \d+ B$/m);
    expect((await runCli(["show", store.url, "ticket-1"])).stdout).not.toContain("agent state");

    // One piece of the 2 MiB file lost behind the driver's back, and a manifest that is not one.
    const pool = adminPool();
    try {
      await pool.query(`DELETE FROM "${store.where}".durable_agent_agent_chunks WHERE session_id = 'ticket-2' AND path = 'file:/home/user/.cache/blob.bin' AND chunk_offset > 0`);
    } finally {
      await pool.end();
    }
    const driver = store.open();
    await putFile(storageOf(driver), "ticket-0", MANIFEST_KEY, new TextEncoder().encode("not json"));
    await driver.close();

    const damaged = await runCli(["verify", store.url, "--json"]);
    expect(damaged.code).toBe(1);
    const report = jsonOf<{ ok: boolean; problems: { kind: string; sessionId: string; detail: string }[] }>(damaged);
    expect(report.problems).toEqual([
      { kind: "agent_state", sessionId: "ticket-0", detail: expect.stringContaining("is not a valid manifest") },
      { kind: "agent_state", sessionId: "ticket-2", detail: expect.stringMatching(/^agent state file "file:\/home\/user\/.cache\/blob.bin" cannot be read: .*inconsistent/) },
    ]);
  });
});
